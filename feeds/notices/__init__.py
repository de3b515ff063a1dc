"""What supervisors tell the floor: key messages and their acknowledgements, outages, delay
reasons, and the audit log of every change."""

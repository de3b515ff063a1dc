"""Adapters: feeds from the systems a centre already runs (Asterisk AMI, Amazon Connect
records, CSV exports), and the producer plumbing they share with the simulator."""

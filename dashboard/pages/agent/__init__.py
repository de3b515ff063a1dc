"""The agent tab `/agent/<agent_id>`."""

"""The Asterisk AMI adapter: :func:`feeds.adapters.ami.client.run_ami` follows Asterisk's
queues onto the bus (protocol, callers, members, resynchronisation in their own modules)."""

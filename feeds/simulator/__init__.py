"""The contact-centre simulator: the centre model, the event loop, and the real-time runner."""

"""The customer behind a contact: their contact history, and the moment-of-truth flags drawn
from it."""

"""Email: an outbox written with the change that causes it, and the senders that deliver it."""

"""Thin HTTP routers: parse and check input, call a service, render a schema."""

"""Domain logic and queries; no HTTP here."""

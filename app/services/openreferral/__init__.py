"""Open Referral UK (HSDS 3, UK profile 3.0): what assetmap publishes, and reads."""

"""Writes of case tracking (tenant schema). Each service validates, writes in one
transaction and records an audit entry; side effects run on commit."""

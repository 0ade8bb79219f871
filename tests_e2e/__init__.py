"""End-to-end suite: a real Odoo server, its public RPC/HTTP API and a real
SMTP server on loopback, outside Odoo's test mode (run by scripts/test.sh)."""

"""The web app: FastAPI, server-rendered pages, roles, approvals, audit trail (design §6)."""

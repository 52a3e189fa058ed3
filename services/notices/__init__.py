"""Public notices: the smallest real domain, and the model the others follow."""

from services.notices.domain import DOMAIN, PUBLISH, notice_body

__all__ = ["DOMAIN", "PUBLISH", "notice_body"]

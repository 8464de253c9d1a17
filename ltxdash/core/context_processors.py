from django.conf import settings
from django.http import HttpRequest


def ltxdash(request: HttpRequest) -> dict:
    return {"ltx_simulated": settings.LTX_SIMULATED}

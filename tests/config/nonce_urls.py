"""A URLconf for CSP tests: the project's URLs plus one view whose template uses the nonce,
as every page with a script must (``<script nonce="{{ CSP_NONCE }}">``)."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

_TEMPLATE = engines["django"].from_string('<!doctype html><script nonce="{{ CSP_NONCE }}">1</script>')


def script_page(request):
    return HttpResponse(_TEMPLATE.render({}, request))


urlpatterns = [path("csp-test/script/", script_page), *project_urlpatterns]

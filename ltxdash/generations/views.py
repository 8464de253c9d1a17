from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def create(request: HttpRequest) -> HttpResponse:
    return render(request, "generations/create.html")

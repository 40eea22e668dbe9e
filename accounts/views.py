from django.http import HttpRequest, HttpResponse


def signin(request: HttpRequest) -> HttpResponse:
    return HttpResponse("sign in")

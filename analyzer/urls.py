from analyzer.pages import urlpatterns as pages

app_name = "analyzer"

urlpatterns = list(pages)

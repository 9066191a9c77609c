PAGES = "/.web/kamin/"


class Pages:
    def __init__(self, api):
        self.api = api

    def get(self, environ, base_prefix, path, user, groups):
        return 404, {}, b"", None

    def post(self, environ, base_prefix, path, user, groups):
        return 404, {}, b"", None

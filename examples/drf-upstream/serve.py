#!/usr/bin/env python3
"""Migrates the database, then serves the app with the standard library's WSGI server.

    python3 serve.py [HOST:PORT]      (default: $DRF_LISTEN, else 127.0.0.1:8000)

wsgiref, like several WSGI servers, maps both `Remote-User` and `Remote_User` to
HTTP_REMOTE_USER: the gateway in front is what makes the header trustworthy.
"""
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gatehouse_example.settings')

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


def main():
    listen = sys.argv[1] if len(sys.argv) > 1 else os.environ.get('DRF_LISTEN', '127.0.0.1:8000')
    host, _, port = listen.rpartition(':')
    django.setup()
    call_command('migrate', interactive=False, verbosity=0)
    from gatehouse_example.wsgi import application
    with make_server(host, int(port), application, server_class=ThreadingWSGIServer) as server:
        print(f'drf-upstream listening on http://{host}:{server.server_port}', flush=True)
        server.serve_forever()


if __name__ == '__main__':
    main()

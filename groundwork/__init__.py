"""What every part of the lab stands on and nothing else: where the checkout is and how every
process reaches the database (``groundwork.database``), and the names that cross process boundaries
(``groundwork.names``). It imports no other package of the project, so the app under test, the
instrument, the judging and the pages can all use it. (Not ``lab``: Locust imports the web UI's
scenario chooser, ``loadtests/lab.py``, under that name.)"""

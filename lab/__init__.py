"""What every part of the lab shares and nothing else: where the checkout is and how every process
reaches the database (``lab.database``). It imports no other package of the project, so the app
under test, the instrument, the judging and the pages can all stand on it."""

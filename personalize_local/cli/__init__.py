"""The command line of Personalize Local: ``serve`` (the standalone server) and ``inspect`` (look inside a running
one through boto3). ``python -m personalize_local --help`` lists both."""

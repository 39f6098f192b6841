# Superset configuration for the workbench's tests and local runs (SUPERSET_CONFIG_PATH points here).
# Values come from the environment so one file serves the cached template and every per-test copy.
import os

SECRET_KEY = os.environ.get("SUPERSET_SECRET_KEY", "workbench-test-only-secret-key-not-for-production")
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.environ["SUPERSET_METADATA_DB"]
# Writes need the CSRF token from /api/v1/security/csrf_token/, as in a default Superset.
WTF_CSRF_ENABLED = True
# Tests log in many times per second; the default login rate limit would refuse them.
AUTH_RATE_LIMITED = False
RATELIMIT_ENABLED = False
TALISMAN_ENABLED = False
# No Redis here: the simple in-process caches are enough for one test server.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
FILTER_STATE_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
EXPLORE_FORM_DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache"}
SUPERSET_WEBSERVER_TIMEOUT = 120
SQLLAB_CTAS_NO_LIMIT = True

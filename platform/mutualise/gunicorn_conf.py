"""gunicorn's settings for the product: ``gunicorn -c python:mutualise.gunicorn_conf mutualise.wsgi``.

Flags on the command line (``--workers``, ``--threads``, ``--bind``) take precedence over these.
"""

# Each worker listens on its own socket (SO_REUSEPORT) and the kernel spreads new connections over them. With the
# one socket gunicorn shares by default, the worker that wakes first accepts a burst of new connections and keeps
# them for as long as they live: a reverse proxy's keep-alive connections (or a load generator's) can all end up on
# one worker while the others idle. Measured on 2 workers and 16 keep-alive connections: in some runs one worker
# served every request, at half the throughput (docs/performance.md). The price: connections still waiting in the
# queue of a worker that dies are reset, not handed to another (Linux ≥ 5.14 can: sysctl net.ipv4.tcp_migrate_req=1).
reuse_port = True

# Behind a reverse proxy that keeps its connections to gunicorn open (README): longer than its pauses between
# requests, so that a reused connection does not race its closing (gunicorn's default is 2 s).
keepalive = 30

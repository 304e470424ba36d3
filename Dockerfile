# tenantlab as a node of a shared cloud (see compose.yaml and docs/deployment.md).
#
# Two stages: the wheel of tenantlab and of its runtime dependencies is built in the first, and
# only those wheels are installed in the slim runtime image (no compilers, no dev tools, no
# tests). The server runs as an unprivileged user with its data folder in /data.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 tenantlab \
 && useradd --system --uid 10001 --gid tenantlab --home-dir /data --shell /usr/sbin/nologin tenantlab \
 && mkdir -p /data && chown tenantlab:tenantlab /data && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels tenantlab \
 && rm -rf /wheels
ENV TENANTLAB_HOME=/data \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER tenantlab:tenantlab
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
ENTRYPOINT ["tenantlab"]
# Behind the load balancer: plain HTTP inside the network, the balancer's https origin outside.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--http", "--public-url", "https://localhost:8443", "--forwarded-allow-ips", "*"]

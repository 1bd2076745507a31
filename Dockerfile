# Personalize Local in a container: the three Personalize APIs on port 4580 and an embedded S3 on port 4566.
#
#   docker build -t personalize-local .
#   docker run --rm -p 127.0.0.1:4580:4580 -p 127.0.0.1:4566:4566 -v personalize-local:/data personalize-local
#
# Then paste the `export` lines the container prints. The same entry point as outside a container
# (`python -m personalize_local serve ...`; tests/component/test_personalize_local_cli.py checks they match). Options
# are set through PERSONALIZE_LOCAL_* variables (`docker run -e PERSONALIZE_LOCAL_STEP_DELAY=0 ...`) or by
# replacing the command (`docker run ... personalize-local serve --s3 --verbose`).
FROM python:3.11-slim

WORKDIR /opt/personalize-local
COPY constraints.txt ./
# Personalize Local's own runtime dependencies (not the pipeline's), at the repository's pinned versions.
RUN pip install --no-cache-dir -c constraints.txt \
        boto3 pandas pyarrow numpy scipy implicit threadpoolctl werkzeug "moto[s3,server]"
COPY personalize_local ./personalize_local

RUN useradd --create-home --uid 10001 personalize \
    && mkdir /data && chown personalize /data
USER personalize

# Inside the container only: listen on all of the container's interfaces, so the published ports reach the server
# (outside a container Personalize Local binds 127.0.0.1 only). Publish the ports on 127.0.0.1 as shown above.
ENV PERSONALIZE_LOCAL_BIND_ALL_INTERFACES=1 \
    PERSONALIZE_LOCAL_DATA_DIR=/data \
    PERSONALIZE_LOCAL_PORT=4580 \
    PERSONALIZE_LOCAL_S3_PORT=4566 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
EXPOSE 4580 4566

ENTRYPOINT ["python", "-m", "personalize_local"]
CMD ["serve", "--s3"]

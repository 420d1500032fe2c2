# RootMail's production image: the runtime requirements and the app's own packages, nothing else (.dockerignore
# lists what goes in). Azure Container Apps runs it (infra/); `azd up` builds it in Azure Container Registry.
FROM python:3.11.7-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# requirements first: a code change does not re-install the dependencies. A fixed uid with no login and no home
# owns only var/: the code stays read-only to the process.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt \
 && useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin rootmail
COPY . .
RUN mkdir -p /app/var && chown rootmail:rootmail /app/var

USER 10001
# the app binds every interface in a container; MicrosoftAppId must be set for that (settings refuse otherwise)
ENV ROOTMAIL_HOST=0.0.0.0 \
    ROOTMAIL_PORT=8080 \
    ROOTMAIL_LOG_FORMAT=json
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["python", "-m", "scripts.healthcheck"]
ENTRYPOINT ["python", "app.py"]

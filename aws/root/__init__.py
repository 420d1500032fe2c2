"""boto3 edge of AWS centralized root access: the root-access role, AssumeRoot sessions, each task's calls. Imports core and aws."""

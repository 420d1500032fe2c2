"""boto3 edge of AWS centralized root access: the root-access role, AssumeRoot sessions and each task's calls."""

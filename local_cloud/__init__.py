"""The deployment tier: the real SAM template deployed onto a local AWS emulator (ministack) next to Personalize Local.

Everything runs on 127.0.0.1 and keeps its pid files, logs and temporary directories under ``.local-cloud/`` in the
checkout, so ``python -m local_cloud down`` leaves nothing behind. See ``docs/local-cloud.md``.
"""

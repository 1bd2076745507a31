"""Deterministic generator of the Kaggle "Anime Recommendation Database 2020" files (see docs/sample-data.md).

``sample_data.generate.generate_dataset(size, out_dir, seed=2020)`` writes anime.csv, rating_complete.csv,
animelist.csv, watching_status.csv and anime_with_synopsis.csv in the exact Kaggle format;
``python -m sample_data --size tiny|demo|full --out DIR`` does the same from the command line.
"""

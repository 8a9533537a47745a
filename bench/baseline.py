"""The machine's baseline for bench/pages.py: a bare Flask + SQLAlchemy page that reads one row,
served by the same gunicorn the same way."""
import os

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)


@app.get("/")
def one_row():
    with engine.connect() as conn:
        number = conn.execute(text("SELECT number FROM complaint WHERE id = 1")).scalar()
    return f"<!DOCTYPE html><title>baseline</title><p>{number}</p>"

"""Keras's examples/imdb_bidirectional_lstm.py in rnnkit: Bidirectional(LSTM(64)), maxlen 100.

Embedding(20000, 128, input_length=100) -> Bidirectional(LSTM(64)) -> Dropout(0.5) ->
Dense(1, sigmoid); adam, batch 32, 4 epochs (Keras states ~0.8146 after 4 epochs).

    python examples/imdb_bidirectional_lstm.py [--epochs N]
"""

import argparse
import time

from rnnkit.datasets import imdb
from rnnkit.layers import LSTM, Bidirectional, Dense, Dropout, Embedding
from rnnkit.models import Sequential
from rnnkit.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=4)
args = parser.parse_args()

max_features, maxlen, batch_size = 20000, 100, 32
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)

model = Sequential()
model.add(Embedding(max_features, 128, input_length=maxlen))
model.add(Bidirectional(LSTM(64)))
model.add(Dropout(0.5))
model.add(Dense(1, activation="sigmoid"))
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])

start = time.perf_counter()
model.fit(x_train, y_train, batch_size=batch_size, epochs=args.epochs, verbose=2)
per_epoch = (time.perf_counter() - start) / args.epochs
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print(f"Test score: {score:.4f}  Test accuracy: {acc:.4f}  ({per_epoch:.0f} s per epoch)")

"""The imdb_lstm.py recipe with a GRU instead of the LSTM (maxlen 80).

Embedding(20000, 128) -> GRU(128, dropout=0.2, recurrent_dropout=0.2) -> Dense(1, sigmoid);
adam, batch 32.

    python examples/imdb_gru.py [--epochs N]
"""

import argparse
import time

from rnnkit.datasets import imdb
from rnnkit.layers import GRU, Dense, Embedding
from rnnkit.models import Sequential
from rnnkit.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=4)
args = parser.parse_args()

max_features, maxlen, batch_size = 20000, 80, 32
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)

model = Sequential()
model.add(Embedding(max_features, 128))
model.add(GRU(128, dropout=0.2, recurrent_dropout=0.2))
model.add(Dense(1, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

start = time.perf_counter()
model.fit(x_train, y_train, batch_size=batch_size, epochs=args.epochs, verbose=2)
per_epoch = (time.perf_counter() - start) / args.epochs
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print(f"Test score: {score:.4f}  Test accuracy: {acc:.4f}  ({per_epoch:.0f} s per epoch)")

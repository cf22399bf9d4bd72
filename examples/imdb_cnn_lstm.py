"""Keras's examples/imdb_cnn_lstm.py in rnnkit: Conv1D + MaxPooling1D + LSTM(70), maxlen 100.

Embedding(20000, 128) -> Dropout(0.25) -> Conv1D(64, 5, relu) -> MaxPooling1D(4) ->
LSTM(70) -> Dense(1) -> sigmoid; adam, batch 30, 2 epochs (Keras states 0.8498).

    python examples/imdb_cnn_lstm.py [--epochs N]
"""

import argparse
import time

from rnnkit.datasets import imdb
from rnnkit.layers import LSTM, Activation, Conv1D, Dense, Dropout, Embedding, MaxPooling1D
from rnnkit.models import Sequential
from rnnkit.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()

max_features, maxlen, embedding_size = 20000, 100, 128
kernel_size, filters, pool_size, lstm_output_size = 5, 64, 4, 70
batch_size = 30
(x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = sequence.pad_sequences(x_test, maxlen=maxlen)

model = Sequential()
model.add(Embedding(max_features, embedding_size, input_length=maxlen))
model.add(Dropout(0.25))
model.add(Conv1D(filters, kernel_size, padding="valid", activation="relu", strides=1))
model.add(MaxPooling1D(pool_size=pool_size))
model.add(LSTM(lstm_output_size))
model.add(Dense(1))
model.add(Activation("sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])

start = time.perf_counter()
model.fit(x_train, y_train, batch_size=batch_size, epochs=args.epochs, verbose=2)
per_epoch = (time.perf_counter() - start) / args.epochs
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
print(f"Test score: {score:.4f}  Test accuracy: {acc:.4f}  ({per_epoch:.0f} s per epoch)")

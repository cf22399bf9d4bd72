"""keras-io's bidirectional_lstm_imdb example in rnnkit: two stacked Bidirectional(LSTM(64)).

Embedding(20000, 128) -> Bidirectional(LSTM(64, return_sequences=True)) ->
Bidirectional(LSTM(64)) -> Dense(1, sigmoid); maxlen 200, adam, batch 32, 2 epochs,
validation on the test set as in the original (2,757,761 parameters; Keras recorded
val_accuracy 0.8428 after 2 epochs).

    python examples/imdb_stacked_bidirectional_lstm.py [--epochs N]
"""

import argparse
import time

from rnnkit.datasets import imdb
from rnnkit.layers import LSTM, Bidirectional, Dense, Embedding
from rnnkit.models import Sequential
from rnnkit.preprocessing import sequence

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=2)
args = parser.parse_args()

max_features, maxlen = 20000, 200
(x_train, y_train), (x_val, y_val) = imdb.load_data(num_words=max_features)
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_val = sequence.pad_sequences(x_val, maxlen=maxlen)

model = Sequential(
    [
        Embedding(max_features, 128, input_shape=(None,)),
        Bidirectional(LSTM(64, return_sequences=True)),
        Bidirectional(LSTM(64)),
        Dense(1, activation="sigmoid"),
    ]
)
model.summary()
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

start = time.perf_counter()
model.fit(
    x_train, y_train, batch_size=32, epochs=args.epochs, validation_data=(x_val, y_val), verbose=2
)
per_epoch = (time.perf_counter() - start) / args.epochs
score, acc = model.evaluate(x_val, y_val, verbose=0)
print(f"Test score: {score:.4f}  Test accuracy: {acc:.4f}  ({per_epoch:.0f} s per epoch)")

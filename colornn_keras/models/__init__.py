"""The models, each a `keras.Model` built with the functional API and saved as a `.keras` file:
`ColorModel` (color.py), `ConsistencyModel` (consistency.py), `RecurrentConsistencyModel`
(recurrent.py), `FlowGuidedModel` and `FlowSmoothingModel` (flow_guided.py, beyond the paper), and `ChromaModel`
(decoding.py: a color model with its bins decoded, what colorizing runs). Importing this package
registers them with Keras, which `keras.saving.load_model` needs in a new process."""

from colornn_keras.models.color import ColorModel  # noqa: F401
from colornn_keras.models.consistency import ConsistencyModel  # noqa: F401
from colornn_keras.models.decoding import ChromaModel  # noqa: F401
from colornn_keras.models.flow_guided import FlowGuidedModel  # noqa: F401
from colornn_keras.models.flow_guided import FlowSmoothingModel  # noqa: F401
from colornn_keras.models.recurrent import RecurrentConsistencyModel  # noqa: F401

"""The models, each a `keras.Model` built with the functional API and saved as a `.keras` file:
`ColorModel` (color.py), `ConsistencyModel` (consistency.py), `RecurrentConsistencyModel`
(recurrent.py) and `FlowGuidedModel` (flow_guided.py, beyond the paper). Importing this package
registers all four with Keras, which `keras.saving.load_model` needs in a new process."""

from colornn_keras.models.color import ColorModel  # noqa: F401
from colornn_keras.models.consistency import ConsistencyModel  # noqa: F401
from colornn_keras.models.flow_guided import FlowGuidedModel  # noqa: F401
from colornn_keras.models.recurrent import RecurrentConsistencyModel  # noqa: F401

"""Keras' Adam with each variable's update one fused kernel.

Keras 3's ``Adam.update_step`` writes the update as separate tensor operations; outside XLA
each makes a temporary the size of the variable, and TensorFlow runs several variables'
updates at once. For the face models (89.6 M parameters, dense kernels of up to 118 MB) that
was 132 ms and +0.75 GiB of peak memory per update (``benchmarks/optimizer_update.py``).
``FusedAdam`` hands each variable to TensorFlow's own Adam kernel (``ResourceApplyAdam``),
which updates the weight and both moments in place in one pass over them: no temporaries.
Its first version compiled the same expression into one small XLA function per variable
(47 ms and +0.11 GiB in that run); side by side, the kernel took 98–102 ms against 110–113 ms
for that function, adding 0.02 GiB against 0.11 (the machine slower that day: Keras' Adam
310 ms), and the paired face step ran 1.010× as fast (``benchmarks/paired_step.py``).

The arithmetic is Keras': ``alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)``,
``m += (g - m) * (1 - beta_1)``, ``v += (g^2 - v) * (1 - beta_2)``,
``w -= m * alpha / (sqrt(v) + epsilon)``, with Keras' float32 beta powers; the kernel's
vectorised loop may round a multiply-add once, so the weights equal Keras' to float32
round-off. Everything around the update (schedules, clipping, weight decay, loss scaling,
EMA) is Keras' own. AMSGrad, sparse gradients and ``tf.distribute`` strategies take Keras'
path.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from vaegan_tf.private_api import adam_slots


@keras.saving.register_keras_serializable(package="vaegan_tf")
class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam`` (same arguments, slots and saved state) whose dense
    updates run as one fused kernel per variable.

    Example:
        >>> optimizer = FusedAdam(5e-4, beta_1=0.5)
        >>> optimizer.build(model.trainable_variables)
    """

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        if (self.amsgrad or isinstance(gradient, tf.IndexedSlices)
                or tf.distribute.has_strategy()):
            super().update_step(gradient, variable, learning_rate)
            return
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)
        momentum, velocity = adam_slots(self, variable)
        tf.raw_ops.ResourceApplyAdam(
            var=_tf_variable(variable).handle,
            m=_tf_variable(momentum).handle,
            v=_tf_variable(velocity).handle,
            beta1_power=tf.pow(tf.cast(self.beta_1, dtype), step),
            beta2_power=tf.pow(tf.cast(self.beta_2, dtype), step),
            lr=tf.cast(learning_rate, dtype),
            beta1=tf.cast(self.beta_1, dtype),
            beta2=tf.cast(self.beta_2, dtype),
            epsilon=tf.cast(self.epsilon, dtype),
            grad=tf.cast(gradient, dtype),
        )


def _tf_variable(variable: Any) -> tf.Variable:
    """The TensorFlow variable behind a Keras one."""
    return variable.value if isinstance(variable, keras.Variable) else variable

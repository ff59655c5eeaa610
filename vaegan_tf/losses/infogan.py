"""InfoGAN's information loss L_I (Chen et al. 2016), as a pure function."""

from __future__ import annotations

from keras import ops

from vaegan_tf.losses.vaegan import Tensor


def information_loss(predicted: Tensor, codes: Tensor, categorical_dim: int,
                     categorical_weight: float, continuous_weight: float) -> Tensor:
    """``λ_cat · CE(c_cat, Q_cat) + λ_cont · ½ Σ (c_cont − μ)²``, batch means: the negative
    log-likelihood of the codes under Q (up to constants), the variational lower bound of the
    mutual information that InfoGAN maximises.

    Args:
        predicted: Q's output: the categorical code's logits, then the continuous codes' means.
        codes: The codes the generator got: one-hot categorical, then continuous values.
        categorical_dim: Width of the categorical part.
        categorical_weight: λ of the categorical cross-entropy.
        continuous_weight: λ of the continuous codes' unit-variance Gaussian NLL.
    """
    predicted, codes = ops.cast(predicted, "float32"), ops.cast(codes, "float32")
    logits, means = predicted[:, :categorical_dim], predicted[:, categorical_dim:]
    categorical, continuous = codes[:, :categorical_dim], codes[:, categorical_dim:]
    cross_entropy = ops.mean(ops.categorical_crossentropy(categorical, logits, from_logits=True))
    gaussian = ops.mean(ops.sum(0.5 * ops.square(continuous - means), axis=-1))
    return categorical_weight * cross_entropy + continuous_weight * gaussian

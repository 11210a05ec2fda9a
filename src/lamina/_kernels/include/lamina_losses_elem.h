/*
 * lamina_losses_elem.h -- the per-element loss functions, one definition per dtype.
 *
 * Included by lamina_losses.h with LT (element type), LP (d or s) and LV(fn) (the dtype's
 * lamina_v*_{d,s} function from lamina_vmath.h) defined.  Each function returns the loss of
 * one element and stores d(loss)/d(pred) in *g.  They are branch-free (selects only) and
 * always inlined, so the loops in lamina_losses_impl.h vectorize them for every ISA.
 *
 * pred p, target t, parameter a (delta, beta, pos_weight, l1_ratio; unused otherwise).
 */
#define LEF(name) LCAT2(lamina_##name##_, LP)
#define LCAT2_(a, b) a##b
#define LCAT2(a, b) LCAT2_(a, b)

LAMINA_VINLINE LT LEF(sign)(LT d) { return d > 0 ? (LT)1 : (d < 0 ? (LT)-1 : (LT)0); }

/* (p - t)^2, gradient 2 (p - t). */
LAMINA_VINLINE LT LEF(loss_mse)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t;
    (void)a;
    *g = 2 * d;
    return d * d;
}

/* |p - t|, subgradient sign(p - t) (0 at 0). */
LAMINA_VINLINE LT LEF(loss_mae)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t;
    (void)a;
    *g = LEF(sign)(d);
    return d < 0 ? -d : d;
}

/* Huber: d^2/2 inside |d| <= a, a (|d| - a/2) outside. */
LAMINA_VINLINE LT LEF(loss_huber)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    int in = ad <= a;
    *g = in ? d : a * LEF(sign)(d);
    return in ? (LT)0.5 * d * d : a * (ad - (LT)0.5 * a);
}

/* Smooth L1 (beta = a): d^2/(2a) inside |d| < a, |d| - a/2 outside. */
LAMINA_VINLINE LT LEF(loss_smooth_l1)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    int in = ad < a;
    *g = in ? d / a : LEF(sign)(d);
    return in ? (LT)0.5 * d * d / a : ad - (LT)0.5 * a;
}

/* log(cosh(d)) = log1p(cosh(d) - 1) with cosh(d) - 1 = expm1(|d|)^2 / (2 (1 + expm1(|d|)))
 * for |d| < 1 (keeps the d^2/2 behaviour near 0 accurate), |d| + log1p(exp(-2|d|)) - ln 2
 * beyond (no overflow).  Gradient tanh(d) = -expm1(-2|d|) / (2 + expm1(-2|d|)) sign(d). */
LAMINA_VINLINE LT LEF(loss_log_cosh)(LT p, LT t, LT a, LT *g)
{
    LT d = p - t, ad = d < 0 ? -d : d;
    (void)a;
    LT small_ad = ad < 1 ? ad : (LT)1;
    LT em = LV(expm1)(small_ad);
    LT near = LV(log1p)(em * em / (2 * (1 + em)));
    LT far = ad + LV(log1p)(LV(exp)(-2 * ad)) - (LT)0.6931471805599453094;
    LT em2 = LV(expm1)(-2 * ad);
    LT th = (0 - em2) / (2 + em2);              /* 0 - (+0) keeps tanh(0) = +0 */
    *g = d < 0 ? -th : th;
    return ad < 1 ? near : far;
}

/* Binary cross-entropy on logits with positive-class weight a:
 *   a t softplus(-p) + (1 - t) softplus(p),  softplus(z) = max(z, 0) + log1p(exp(-|z|)),
 * gradient a t (sigmoid(p) - 1) + (1 - t) sigmoid(p), both sigmoids formed from
 * e = exp(-|p|) so that neither cancels nor overflows. */
LAMINA_VINLINE LT LEF(loss_bce)(LT p, LT t, LT a, LT *g)
{
    LT ap = p < 0 ? -p : p;
    LT e = LV(exp)(-ap);
    LT l1p = LV(log1p)(e);
    LT sp_pos = (p > 0 ? p : (LT)0) + l1p;      /* softplus(p)  = -log(1 - sigmoid(p)) */
    LT sp_neg = (p < 0 ? -p : (LT)0) + l1p;     /* softplus(-p) = -log(sigmoid(p))     */
    LT inv = 1 / (1 + e);
    LT sig = p >= 0 ? inv : e * inv;            /* sigmoid(p)     */
    LT sigc = p >= 0 ? e * inv : inv;           /* 1 - sigmoid(p) */
    LT wt = a * t, nt = 1 - t;
    *g = nt * sig - wt * sigc;
    /* 0 * inf is excluded: a term with zero weight contributes 0 */
    return (wt != 0 ? wt * sp_neg : (LT)0) + (nt != 0 ? nt * sp_pos : (LT)0);
}

/* Binary hinge with labels t in {-1, +1}: max(0, 1 - t p), subgradient -t where positive. */
LAMINA_VINLINE LT LEF(loss_hinge)(LT p, LT t, LT a, LT *g)
{
    LT m = 1 - t * p;
    (void)a;
    *g = m > 0 ? -t : (LT)0;
    return m > 0 ? m : (LT)0;
}

/* KL term of target probability t against log-probability p: t (log t - p), 0 where t = 0;
 * gradient -t. */
LAMINA_VINLINE LT LEF(loss_kl)(LT p, LT t, LT a, LT *g)
{
    (void)a;
    *g = -t;
    LT safe_t = t > 0 ? t : (LT)1;
    return t > 0 ? t * (LV(log)(safe_t) - p) : (LT)0;
}

/* Penalties on weights w = p (t unused): elastic net with l1_ratio a,
 * a |w| + (1 - a) w^2 / 2; l2 is a = 0 and l1 is a = 1 (sign(0) = 0). */
LAMINA_VINLINE LT LEF(loss_l2)(LT p, LT t, LT a, LT *g)
{
    (void)t; (void)a;
    *g = p;
    return (LT)0.5 * p * p;
}

LAMINA_VINLINE LT LEF(loss_l1)(LT p, LT t, LT a, LT *g)
{
    (void)t; (void)a;
    *g = LEF(sign)(p);
    return p < 0 ? -p : p;
}

LAMINA_VINLINE LT LEF(loss_elastic_net)(LT p, LT t, LT a, LT *g)
{
    (void)t;
    LT b = 1 - a;
    *g = a * LEF(sign)(p) + b * p;
    return a * (p < 0 ? -p : p) + b * (LT)0.5 * p * p;
}

// The Winograd transform template: winograd_kernels.c includes it once per family, with FAMILY, ATTR, VL, VEC,
// LOADU, STOREU, SET1, ADD, SUB, MUL and FMA (acc + a * b) defined; see winograd_kernels.h for the contract.
#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define INLINE static inline __attribute__((always_inline)) ATTR
#define UNROLL _Pragma("clang loop unroll(full)")

// r = Bᵀ d for one 8-sample column of vectors.
INLINE void CAT(bt8, FAMILY)(const VEC *d, VEC *r) {
    r[0] = FMA(SUB(d[6], d[0]), SUB(d[2], d[4]), SET1(5.25f));
    r[7] = FMA(SUB(d[7], d[1]), SUB(d[3], d[5]), SET1(5.25f));
    VEC t1 = FMA(ADD(d[2], d[6]), d[4], SET1(-4.25f)), t2 = FMA(ADD(d[1], d[5]), d[3], SET1(-4.25f));
    r[1] = ADD(t1, t2); r[2] = SUB(t1, t2);
    t1 = FMA(FMA(d[6], d[2], SET1(4.0f)), d[4], SET1(-5.0f));
    t2 = FMA(FMA(MUL(d[1], SET1(2.0f)), d[3], SET1(-2.5f)), d[5], SET1(0.5f));
    r[3] = ADD(t1, t2); r[4] = SUB(t1, t2);
    t1 = FMA(FMA(d[6], d[2], SET1(0.25f)), d[4], SET1(-1.25f));
    t2 = FMA(FMA(MUL(d[1], SET1(0.5f)), d[3], SET1(-2.5f)), d[5], SET1(2.0f));
    r[5] = ADD(t1, t2); r[6] = SUB(t1, t2);
}

// y = Aᵀ s for one 8-sample column of vectors, Mo = 4 or 6 outputs.
INLINE void CAT(at8, FAMILY)(const int Mo, const VEC *s, VEC *y) {
    VEC a1 = ADD(s[1], s[2]), b1 = SUB(s[1], s[2]), a2 = ADD(s[3], s[4]), b2 = SUB(s[3], s[4]);
    VEC a3 = ADD(s[5], s[6]), b3 = SUB(s[5], s[6]);
    float half = 1.0f, two = 1.0f;
    UNROLL for (int i = 0; i < Mo; i++) {
        y[i] = (i % 2 == 0) ? FMA(FMA(a1, a2, SET1(half)), a3, SET1(two)) : FMA(FMA(b1, b2, SET1(half)), b3, SET1(two));
        half *= 0.5f; two *= 2.0f;
    }
    y[0] = ADD(y[0], s[0]);
    y[Mo - 1] = ADD(y[Mo - 1], s[7]);
}

ATTR SRCNN_WINO8_INPUT(CAT(srcnn_wino8_input, FAMILY)) {
    VEC h[64];
    for (long t = 0; t < nt; t++) {
        const long ty = (t0 + t) / ntx, tx = (t0 + t) % ntx;
        const float *origin = P + ty * m * ldp + tx * m * cin;
        for (long cb = 0; cb < cin; cb += VL) {
            // Horizontal: h[i][ξx] = (Bᵀ d[i][·])[ξx] for each of the 8 rows i.
            UNROLL for (int i = 0; i < 8; i++) {
                VEC d[8];
                UNROLL for (int j = 0; j < 8; j++) d[j] = LOADU(origin + i * ldp + j * cin + cb);
                CAT(bt8, FAMILY)(d, h + i * 8);
            }
            // Vertical: V[ξy * 8 + ξx] = (Bᵀ h[·][ξx])[ξy].
            float *dst = V + t * cin + cb;
            UNROLL for (int xx = 0; xx < 8; xx++) {
                VEC d[8], r[8];
                UNROLL for (int i = 0; i < 8; i++) d[i] = h[i * 8 + xx];
                CAT(bt8, FAMILY)(d, r);
                UNROLL for (int xy = 0; xy < 8; xy++) STOREU(dst + (xy * 8 + xx) * vs, r[xy]);
            }
        }
    }
}

INLINE void CAT(wino8_output_m, FAMILY)(const int Mo, const float *M, long ms, long cout, long ntx, long t0, long nt,
                                        float *O, long ldo) {
    VEC z[48];
    for (long t = 0; t < nt; t++) {
        const long ty = (t0 + t) / ntx, tx = (t0 + t) % ntx;
        for (long ob = 0; ob < cout; ob += VL) {
            const float *src = M + t * cout + ob;
            // Vertical: z[i][ξx] = (Aᵀ M[·][ξx])[i].
            UNROLL for (int xx = 0; xx < 8; xx++) {
                VEC s[8], y[6];
                UNROLL for (int xy = 0; xy < 8; xy++) s[xy] = LOADU(src + (xy * 8 + xx) * ms);
                CAT(at8, FAMILY)(Mo, s, y);
                UNROLL for (int i = 0; i < Mo; i++) z[i * 8 + xx] = y[i];
            }
            // Horizontal: pixel (i, j) = (Aᵀ z[i][·])[j].
            UNROLL for (int i = 0; i < Mo; i++) {
                VEC y[6];
                CAT(at8, FAMILY)(Mo, z + i * 8, y);
                float *orow = O + (ty * Mo + i) * ldo + tx * Mo * cout + ob;
                UNROLL for (int j = 0; j < Mo; j++) STOREU(orow + j * cout, y[j]);
            }
        }
    }
}

ATTR SRCNN_WINO8_OUTPUT(CAT(srcnn_wino8_output, FAMILY)) {
    if (m == 4) CAT(wino8_output_m, FAMILY)(4, M, ms, cout, ntx, t0, nt, O, ldo);
    else CAT(wino8_output_m, FAMILY)(6, M, ms, cout, ntx, t0, nt, O, ldo);
}

#undef FAMILY
#undef ATTR
#undef VL
#undef VEC
#undef LOADU
#undef STOREU
#undef SET1
#undef ADD
#undef SUB
#undef MUL
#undef FMA
#undef INLINE
#undef UNROLL
#undef CAT
#undef CAT_

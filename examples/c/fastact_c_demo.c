/* A C extension module that calls fastact's kernels through fastact.h.
 *
 * Build with include_dirs=[fastact.get_include()] and nothing to link:
 * import_fastact() in the init function fetches the kernels from the
 * installed fastact. Arrays come in through the buffer protocol (any
 * C-contiguous float32 or float64 buffer, e.g. a numpy array); the kernels run
 * without the GIL.
 *
 *   sigmoid(x, out)                     out[:] = sigmoid(x)
 *   leaky_relu(x, out, alpha)           out[:] = leaky_relu(x, alpha)
 *   sigmoid_backward(grad_out, y, grad_in)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "fastact.h"

/* A C-contiguous float32 ('f') or float64 ('d') buffer; 1 on success. */
static int get_buffer(PyObject *obj, Py_buffer *view, int writable)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return 0;
    if (view->format == NULL || view->format[1] != '\0'
            || (view->format[0] != 'f' && view->format[0] != 'd')) {
        PyErr_SetString(PyExc_TypeError, "expected a float32 or float64 buffer");
        PyBuffer_Release(view);
        return 0;
    }
    return 1;
}

/* Checks that every buffer has the first one's type and length. */
static int same_kind(Py_buffer *views, int count)
{
    int i;
    for (i = 1; i < count; i++) {
        if (views[i].format[0] != views[0].format[0] || views[i].len != views[0].len) {
            PyErr_SetString(PyExc_ValueError, "buffers differ in dtype or length");
            return 0;
        }
    }
    return 1;
}

/* Parses `count` buffers (the last one written), checks them. */
static int get_buffers(PyObject *const *args, Py_buffer *views, int count)
{
    int i;
    for (i = 0; i < count; i++) {
        if (!get_buffer(args[i], &views[i], i == count - 1)) {
            while (--i >= 0)
                PyBuffer_Release(&views[i]);
            return 0;
        }
    }
    if (!same_kind(views, count)) {
        for (i = 0; i < count; i++)
            PyBuffer_Release(&views[i]);
        return 0;
    }
    return 1;
}

static PyObject *demo_sigmoid(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer v[2];
    Py_ssize_t n;
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "sigmoid(x, out) takes 2 arguments");
        return NULL;
    }
    if (!get_buffers(args, v, 2))
        return NULL;
    n = v[0].len / v[0].itemsize;
    Py_BEGIN_ALLOW_THREADS
    if (v[0].format[0] == 'f')
        fa_sigmoid_f32((const float *)v[0].buf, (float *)v[1].buf, n);
    else
        fa_sigmoid_f64((const double *)v[0].buf, (double *)v[1].buf, n);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v[0]);
    PyBuffer_Release(&v[1]);
    Py_RETURN_NONE;
}

static PyObject *demo_leaky_relu(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer v[2];
    Py_ssize_t n;
    double alpha;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "leaky_relu(x, out, alpha) takes 3 arguments");
        return NULL;
    }
    alpha = PyFloat_AsDouble(args[2]);
    if (alpha == -1.0 && PyErr_Occurred())
        return NULL;
    if (!get_buffers(args, v, 2))
        return NULL;
    n = v[0].len / v[0].itemsize;
    Py_BEGIN_ALLOW_THREADS
    if (v[0].format[0] == 'f')
        fa_leaky_relu_f32((const float *)v[0].buf, (float *)v[1].buf, n, (float)alpha);
    else
        fa_leaky_relu_f64((const double *)v[0].buf, (double *)v[1].buf, n, alpha);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v[0]);
    PyBuffer_Release(&v[1]);
    Py_RETURN_NONE;
}

static PyObject *demo_sigmoid_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer v[3];
    Py_ssize_t n;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "sigmoid_backward(grad_out, y, grad_in) takes 3 arguments");
        return NULL;
    }
    if (!get_buffers(args, v, 3))
        return NULL;
    n = v[0].len / v[0].itemsize;
    Py_BEGIN_ALLOW_THREADS
    if (v[0].format[0] == 'f')
        fa_sigmoid_backward_f32((const float *)v[0].buf, (const float *)v[1].buf,
                                (float *)v[2].buf, n);
    else
        fa_sigmoid_backward_f64((const double *)v[0].buf, (const double *)v[1].buf,
                                (double *)v[2].buf, n);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v[0]);
    PyBuffer_Release(&v[1]);
    PyBuffer_Release(&v[2]);
    Py_RETURN_NONE;
}

static PyMethodDef demo_methods[] = {
    {"sigmoid", (PyCFunction)(void (*)(void))demo_sigmoid, METH_FASTCALL,
     "sigmoid(x, out): out[:] = sigmoid(x)"},
    {"leaky_relu", (PyCFunction)(void (*)(void))demo_leaky_relu, METH_FASTCALL,
     "leaky_relu(x, out, alpha): out[:] = leaky_relu(x, alpha)"},
    {"sigmoid_backward", (PyCFunction)(void (*)(void))demo_sigmoid_backward, METH_FASTCALL,
     "sigmoid_backward(grad_out, y, grad_in): grad_in[:] = grad_out * y * (1 - y)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef demo_module = {
    PyModuleDef_HEAD_INIT, "fastact_c_demo",
    "A C extension calling fastact's kernels through fastact.h.", -1, demo_methods,
};

PyMODINIT_FUNC PyInit_fastact_c_demo(void)
{
    if (import_fastact() < 0)
        return NULL;
    return PyModule_Create(&demo_module);
}

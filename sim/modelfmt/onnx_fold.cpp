#include "sim/modelfmt/onnx_fold.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include <fmt/ranges.h>

#include "sim/util/error.h"

namespace nesim::onnx_io {

namespace {

const std::set<std::string> kFoldable = {
    "Constant", "Identity", "Cast", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Reshape",
    "Add", "Sub", "Mul", "Div", "Floor", "Ceil", "Sqrt", "Neg", "Equal", "Where", "ConstantOfShape",
    "Range", "Min", "Max", "ReduceProd", "Transpose", "Dropout", "Flatten"};

// Shape arithmetic is small; a larger folded constant is a malformed (or hostile) file.
constexpr int64_t kMaxFolded = int64_t{1} << 16;

const ConstTensor& values_of(const ConstTensor* t, const std::string& where, int k) {
  if (!t) throw input_error("{}: input {} is missing", where, k);
  if (!t->has_values) throw input_error("{}: input {} is a large constant whose values nesim does not fold", where, k);
  return *t;
}

std::vector<int64_t> ints_of(const ConstTensor& t) {
  std::vector<int64_t> v;
  for (double d : t.values) v.push_back(static_cast<int64_t>(d));
  return v;
}

ConstTensor make(std::vector<int64_t> dims, std::vector<double> values, bool is_int) {
  ConstTensor t;
  t.dims = std::move(dims);
  t.values = std::move(values);
  t.has_values = true;
  t.is_int = is_int;
  return t;
}

// A 1-D tensor of `values` (its length read before the vector moves).
ConstTensor make_vector(std::vector<double> values, bool is_int) {
  const int64_t n = static_cast<int64_t>(values.size());
  return make({n}, std::move(values), is_int);
}

int64_t norm_axis(int64_t axis, int64_t rank, const std::string& where) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1)) throw input_error("{}: axis out of range for rank {}", where, rank);
  return axis;
}

// Numpy-style broadcasting of two tensors through `f`.
ConstTensor broadcast(const ConstTensor& a, const ConstTensor& b, const std::function<double(double, double)>& f,
                      bool is_int, const std::string& where) {
  const size_t rank = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> da(rank, 1), db(rank, 1), out(rank);
  std::copy(a.dims.begin(), a.dims.end(), da.begin() + (rank - a.dims.size()));
  std::copy(b.dims.begin(), b.dims.end(), db.begin() + (rank - b.dims.size()));
  for (size_t i = 0; i < rank; ++i) {
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1)
      throw input_error("{}: cannot broadcast shapes of {} and {} dimensions", where, a.dims.size(), b.dims.size());
    out[i] = std::max(da[i], db[i]);
  }
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  if (n > kMaxFolded) throw input_error("{}: a folded constant of {} elements (more than {})", where, n, kMaxFolded);
  std::vector<double> values(n);
  std::vector<int64_t> idx(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t ia = 0, ib = 0;
    for (size_t i = 0; i < rank; ++i) {
      ia = ia * da[i] + (da[i] == 1 ? 0 : idx[i]);
      ib = ib * db[i] + (db[i] == 1 ? 0 : idx[i]);
    }
    values[k] = f(a.values[ia], b.values[ib]);
    for (size_t i = rank; i-- > 0;)
      if (++idx[i] < out[i]) break;
      else idx[i] = 0;
  }
  return make(out, std::move(values), is_int);
}

ConstTensor from_attribute(const onnx::NodeProto& n, const std::string& where) {
  for (const auto& a : n.attribute()) {
    if (a.name() == "value") return read_tensor(a.t(), where);
    if (a.name() == "value_int") return make({}, {static_cast<double>(a.i())}, true);
    if (a.name() == "value_float") return make({}, {a.f()}, false);
    if (a.name() == "value_ints") {
      std::vector<double> v(a.ints().begin(), a.ints().end());
      return make_vector(std::move(v), true);
    }
    if (a.name() == "value_floats") {
      std::vector<double> v(a.floats().begin(), a.floats().end());
      return make_vector(std::move(v), false);
    }
  }
  throw input_error("{}: a Constant without a value nesim reads (value, value_int(s), value_float(s))", where);
}

}  // namespace

bool is_foldable(const std::string& op_type) { return kFoldable.count(op_type) > 0; }

ConstTensor int_tensor(std::vector<int64_t> values) {
  std::vector<double> v(values.begin(), values.end());
  return make_vector(std::move(v), true);
}

std::vector<ConstTensor> fold_node(const onnx::NodeProto& n, const std::vector<const ConstTensor*>& in,
                                   int64_t opset, const std::string& where) {
  const std::string& op = n.op_type();
  auto arg = [&](size_t k) -> const ConstTensor& { return values_of(k < in.size() ? in[k] : nullptr, where, k); };
  auto has = [&](size_t k) { return k < in.size() && in[k] != nullptr; };
  if (op == "Constant") return {from_attribute(n, where)};
  if (op == "Identity" || op == "Dropout") return {*in.at(0)};
  if (op == "Cast") {
    ConstTensor t = *in.at(0);
    const int64_t to = attr_int(n, "to", 1);
    t.is_int = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32 || to == onnx::TensorProto::BOOL;
    if (t.is_int)
      for (double& v : t.values) v = std::trunc(v);
    return {t};
  }
  if (op == "Flatten") {
    ConstTensor t = *in.at(0);
    const int64_t axis = norm_axis(attr_int(n, "axis", 1), static_cast<int64_t>(t.dims.size()) + 1, where);
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= t.dims[i];
    t.dims = {outer, t.elements() / std::max<int64_t>(outer, 1)};
    return {t};
  }
  if (op == "Transpose") {  // weights (MatMul's B): only the dims matter
    ConstTensor t = *in.at(0);
    const int64_t rank = static_cast<int64_t>(t.dims.size());
    std::vector<int64_t> perm = attr_ints(n, "perm").value_or(std::vector<int64_t>{});
    if (perm.empty())
      for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
    std::vector<int64_t> dims;
    for (int64_t p : perm) dims.push_back(t.dims.at(norm_axis(p, rank, where)));
    t.dims = dims;
    if (rank > 1) t.has_values = false, t.values.clear();
    return {t};
  }
  if (op == "Reshape") {
    ConstTensor t = *in.at(0);
    std::vector<int64_t> shape = ints_of(arg(1)), dims;
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      int64_t d = shape[i];
      if (d == 0) d = i < t.dims.size() ? t.dims[i] : 1;
      if (d == -1) infer = static_cast<int64_t>(i), d = 1;
      else known *= d;
      dims.push_back(d);
    }
    if (infer >= 0) dims[infer] = known > 0 ? t.elements() / known : 0;
    t.dims = dims;
    return {t};
  }
  if (op == "Unsqueeze" || op == "Squeeze") {
    ConstTensor t = *in.at(0);
    std::vector<int64_t> axes = opset >= 13 ? (has(1) ? ints_of(arg(1)) : std::vector<int64_t>{})
                                            : attr_ints(n, "axes").value_or(std::vector<int64_t>{});
    if (op == "Unsqueeze") {
      const int64_t rank = static_cast<int64_t>(t.dims.size() + axes.size());
      for (int64_t& a : axes) a = norm_axis(a, rank, where);
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) t.dims.insert(t.dims.begin() + a, 1);
    } else {
      const int64_t rank = static_cast<int64_t>(t.dims.size());
      std::vector<int64_t> dims;
      for (int64_t i = 0; i < rank; ++i) {
        const bool listed = std::any_of(axes.begin(), axes.end(), [&](int64_t a) { return norm_axis(a, rank, where) == i; });
        if (!(listed || (axes.empty() && t.dims[i] == 1))) dims.push_back(t.dims[i]);
      }
      t.dims = dims;
    }
    return {t};
  }
  if (op == "Gather") {
    const ConstTensor& data = arg(0);
    const ConstTensor& idx = arg(1);
    const int64_t rank = static_cast<int64_t>(data.dims.size());
    if (norm_axis(attr_int(n, "axis", 0), rank, where) != 0 || rank != 1)
      throw input_error("{}: nesim folds Gather of a 1-D constant along axis 0 only", where);
    std::vector<double> v;
    for (double d : idx.values) {
      int64_t i = static_cast<int64_t>(d);
      if (i < 0) i += data.dims[0];
      if (i < 0 || i >= data.dims[0]) throw input_error("{}: Gather index {} out of range (data dims [{}])", where, d, fmt::join(data.dims, ", "));
      v.push_back(data.values[i]);
    }
    return {make(idx.dims, std::move(v), data.is_int)};
  }
  if (op == "Concat") {
    ConstTensor out;
    out.has_values = true;
    out.is_int = true;
    int64_t len = 0;
    for (size_t k = 0; k < in.size(); ++k) {
      const ConstTensor& t = arg(k);
      if (t.dims.size() > 1) throw input_error("{}: nesim folds Concat of 1-D constants only", where);
      out.values.insert(out.values.end(), t.values.begin(), t.values.end());
      out.is_int &= t.is_int;
      len += t.elements();
    }
    out.dims = {len};
    return {out};
  }
  if (op == "Slice") {
    const ConstTensor& data = arg(0);
    if (data.dims.size() != 1) throw input_error("{}: nesim folds Slice of a 1-D constant only", where);
    std::vector<int64_t> starts, ends, steps;
    if (opset >= 10) {
      starts = ints_of(arg(1)), ends = ints_of(arg(2));
      if (has(4)) steps = ints_of(arg(4));
    } else {
      starts = attr_ints(n, "starts").value_or(std::vector<int64_t>{});
      ends = attr_ints(n, "ends").value_or(std::vector<int64_t>{});
    }
    const int64_t len = data.dims[0], step = steps.empty() ? 1 : steps[0];
    if (starts.size() != 1 || ends.size() != 1 || step == 0)
      throw input_error("{}: nesim folds Slice with one axis and a non-zero step only", where);
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) { return std::clamp(v < 0 ? v + len : v, lo, hi); };
    std::vector<double> v;
    if (step > 0) {
      for (int64_t i = clamp(starts[0], 0, len); i < clamp(ends[0], 0, len); i += step) v.push_back(data.values[i]);
    } else {
      for (int64_t i = clamp(starts[0], -1, len - 1); i > clamp(ends[0], -1, len - 1); i += step)
        v.push_back(data.values[i]);
    }
    return {make_vector(std::move(v), data.is_int)};
  }
  if (op == "ConstantOfShape") {
    const std::vector<int64_t> dims = ints_of(arg(0));
    ConstTensor fill = make({1}, {0.0}, false);
    if (const auto* a = find_attr(n, "value")) fill = read_tensor(a->t(), where);
    int64_t count = 1;
    for (int64_t d : dims) count *= d;
    if (count > kMaxFolded) throw input_error("{}: ConstantOfShape of {} elements is too large to fold", where, count);
    return {make(dims, std::vector<double>(count, fill.values.empty() ? 0.0 : fill.values[0]), fill.is_int)};
  }
  if (op == "Range") {
    const double start = arg(0).values.at(0), limit = arg(1).values.at(0), delta = arg(2).values.at(0);
    if (delta == 0) throw input_error("{}: Range with delta 0", where);
    std::vector<double> v;
    for (double x = start; delta > 0 ? x < limit : x > limit; x += delta) {
      if (static_cast<int64_t>(v.size()) >= kMaxFolded)
        throw input_error("{}: a Range of more than {} elements", where, kMaxFolded);
      v.push_back(x);
    }
    return {make_vector(std::move(v), arg(0).is_int)};
  }
  if (op == "ReduceProd") {
    double p = 1;
    for (double v : arg(0).values) p *= v;
    return {make({}, {p}, arg(0).is_int)};
  }
  if (op == "Where") {
    const ConstTensor& c = arg(0);
    ConstTensor xy = broadcast(arg(1), arg(2), [](double x, double) { return x; }, arg(1).is_int, where);
    ConstTensor yx = broadcast(arg(1), arg(2), [](double, double y) { return y; }, arg(1).is_int, where);
    ConstTensor sel = broadcast(c, xy, [](double cond, double x) { return cond != 0 ? 1.0 : 0.0; }, true, where);
    if (sel.elements() != xy.elements()) throw input_error("{}: Where condition of another shape", where);
    for (size_t i = 0; i < xy.values.size(); ++i) xy.values[i] = sel.values[i] != 0 ? xy.values[i] : yx.values[i];
    return {xy};
  }
  if (op == "Floor" || op == "Ceil" || op == "Sqrt" || op == "Neg") {
    ConstTensor t = arg(0);
    for (double& v : t.values)
      v = op == "Floor" ? std::floor(v) : op == "Ceil" ? std::ceil(v) : op == "Sqrt" ? std::sqrt(v) : -v;
    return {t};
  }
  // Binary arithmetic with broadcasting; integer division truncates as ONNX's does.
  const ConstTensor &a = arg(0), &b = arg(1);
  const bool is_int = a.is_int && b.is_int;
  std::function<double(double, double)> f;
  if (op == "Add") f = [](double x, double y) { return x + y; };
  if (op == "Sub") f = [](double x, double y) { return x - y; };
  if (op == "Mul") f = [](double x, double y) { return x * y; };
  if (op == "Div") f = [is_int](double x, double y) { return is_int ? (y == 0 ? 0 : std::trunc(x / y)) : x / y; };
  if (op == "Min") f = [](double x, double y) { return std::min(x, y); };
  if (op == "Max") f = [](double x, double y) { return std::max(x, y); };
  if (op == "Equal") f = [](double x, double y) { return x == y ? 1.0 : 0.0; };
  if (!f) throw input_error("{}: nesim does not fold {}", where, op);
  return {broadcast(a, b, f, is_int || op == "Equal", where)};
}

}  // namespace nesim::onnx_io

#pragma once
// Every file a user names is read through here, so that a wrong one is one clear error: a
// missing file, a directory, a device or FIFO (a link to /dev/zero would otherwise be read
// without end), or a file too large for what it claims to be.
#include <cstdint>
#include <string>

namespace nesim {

// Input files are configs, models, spaces, journals and datasets: 256 MiB is far beyond any of
// them (the largest shipped file, a regressor, is under 2 MiB).
inline constexpr int64_t kMaxInputFileBytes = int64_t{256} << 20;

// The whole content of `path`, following symbolic links. Throws InputError
// "<path>: cannot read <what>: <reason>" when it is missing, not a regular file, unreadable, or
// larger than max_bytes.
std::string read_input_file(const std::string& path, const std::string& what,
                            int64_t max_bytes = kMaxInputFileBytes);

}  // namespace nesim

#pragma once
// SpanExporter: where finished spans go; the console and in-memory exporters. (OTLP: the
// tracehop::otlp_json and tracehop::otlp libraries.)

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "tracehop/trace/span.hpp"

namespace tracehop::trace {

using SpanDataPtr = std::shared_ptr<const SpanData>;

enum class ExportResult : std::uint8_t { Success, Failure };

/// Receives an export's result; called exactly once, on any thread; must not throw.
using ExportDone = std::function<void(ExportResult)>;

/// Processors never call export_spans or export_spans_async concurrently on one exporter. An
/// exporter bounds the time of each export itself (its configured timeout) and never throws.
class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual ExportResult export_spans(std::span<const SpanDataPtr> spans) noexcept = 0;
  /// Starts an export and returns once `spans` are no longer needed (encoded or copied); `done`
  /// gets the result later, or before this returns. Up to max_concurrent_exports() exports may
  /// be started and not done at once (the specification's "the task of exporting can be done
  /// concurrently"). The default is synchronous: export_spans, then done.
  virtual void export_spans_async(std::span<const SpanDataPtr> spans, ExportDone done) noexcept {
    done(export_spans(spans));
  }
  virtual std::size_t max_concurrent_exports() const noexcept { return 1; }
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) noexcept { return true; }
  /// After shutdown every export fails. Exports already started end (each within its timeout)
  /// and their `done` is called before shutdown returns.
  virtual bool shutdown(std::chrono::milliseconds timeout) noexcept = 0;
};

/// Writes each span as pretty JSON (the layout of OpenTelemetry Python's ConsoleSpanExporter:
/// name, context, kind as `SpanKind.CLIENT`, parent_id, times, status, attributes, events,
/// links, resource), one object after another.
class ConsoleSpanExporter final : public SpanExporter {
 public:
  /// Writes to std::cout.
  ConsoleSpanExporter();
  explicit ConsoleSpanExporter(std::ostream& out);
  ExportResult export_spans(std::span<const SpanDataPtr> spans) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

 private:
  std::ostream* out_;
  bool shut_down_ = false;
};

/// The pretty JSON ConsoleSpanExporter writes for one span.
std::string to_console_json(const SpanData& span);

/// Keeps every exported span in memory, for tests.
class InMemorySpanExporter final : public SpanExporter {
 public:
  ExportResult export_spans(std::span<const SpanDataPtr> spans) noexcept override;
  bool shutdown(std::chrono::milliseconds timeout) noexcept override;

  std::vector<SpanDataPtr> finished_spans() const;
  void clear();
  std::size_t export_calls() const;

 private:
  mutable std::mutex mu_;
  std::vector<SpanDataPtr> spans_;
  std::size_t calls_ = 0;
  bool shut_down_ = false;
};

/// Hands every export to an exporter owned elsewhere, and leaves its shutdown to that owner:
/// for one exporter fed by several providers, or read after its provider is gone.
class SharedSpanExporter final : public SpanExporter {
 public:
  explicit SharedSpanExporter(std::shared_ptr<SpanExporter> target) noexcept : target_(std::move(target)) {}
  ExportResult export_spans(std::span<const SpanDataPtr> spans) noexcept override {
    return shut_down_ ? ExportResult::Failure : target_->export_spans(spans);
  }
  void export_spans_async(std::span<const SpanDataPtr> spans, ExportDone done) noexcept override {
    if (shut_down_) return done(ExportResult::Failure);
    target_->export_spans_async(spans, std::move(done));
  }
  std::size_t max_concurrent_exports() const noexcept override { return target_->max_concurrent_exports(); }
  bool force_flush(std::chrono::milliseconds timeout) noexcept override { return target_->force_flush(timeout); }
  bool shutdown(std::chrono::milliseconds) noexcept override {
    shut_down_ = true;  // this handle only: the target goes on for its other users
    return true;
  }

 private:
  std::shared_ptr<SpanExporter> target_;
  bool shut_down_ = false;
};

}  // namespace tracehop::trace

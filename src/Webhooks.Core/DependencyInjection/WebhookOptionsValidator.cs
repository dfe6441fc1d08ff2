using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Webhooks.Core.Signing;

namespace Webhooks.Core.DependencyInjection;

/// <summary>Checks every setting at start-up and reports each bad one with what to fix.</summary>
// Signers are resolved when validating, not injected: a signer may itself depend on these options.
internal sealed class WebhookOptionsValidator(IServiceProvider services) : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions o)
    {
        var failures = new List<string>();
        void Check(bool ok, string message)
        {
            if (!ok)
            {
                failures.Add(message);
            }
        }

        var schemes = services.GetServices<IWebhookSigner>().Select(s => s.Scheme).ToHashSet(StringComparer.Ordinal);
        Check(schemes.Contains(o.DefaultSignatureScheme), $"Webhooks:DefaultSignatureScheme '{o.DefaultSignatureScheme}' has no registered signer; use one of: {string.Join(", ", schemes)}.");
        Check(IsHeaderName(o.HmacSignatureHeader), "Webhooks:HmacSignatureHeader must be a valid HTTP header name, such as X-Webhook-Signature.");
        Check(o.EventTypeHeader is null || IsHeaderName(o.EventTypeHeader), "Webhooks:EventTypeHeader must be a valid HTTP header name, or unset.");
        Check(o.SubscriptionNameHeader is null || IsHeaderName(o.SubscriptionNameHeader), "Webhooks:SubscriptionNameHeader must be a valid HTTP header name, or unset.");
        Check(Enum.IsDefined(o.PayloadFormat), $"Webhooks:PayloadFormat '{o.PayloadFormat}' is unknown; use Envelope or Data.");
        Check(o.MaxConcurrentDeliveries is >= 1 and <= 10_000, $"Webhooks:MaxConcurrentDeliveries is {o.MaxConcurrentDeliveries}; use 1 to 10000.");
        Check(o.AttemptTimeout >= TimeSpan.FromMilliseconds(100) && o.AttemptTimeout <= TimeSpan.FromMinutes(5), $"Webhooks:AttemptTimeout is {o.AttemptTimeout}; use 00:00:00.1 to 00:05:00.");
        Check(o.ConnectTimeout >= TimeSpan.FromMilliseconds(100) && o.ConnectTimeout <= TimeSpan.FromMinutes(2), $"Webhooks:ConnectTimeout is {o.ConnectTimeout}; use 00:00:00.1 to 00:02:00.");
        Check(o.MaxConnectionsPerEndpoint is >= 1 and <= 1000, $"Webhooks:MaxConnectionsPerEndpoint is {o.MaxConnectionsPerEndpoint}; use 1 to 1000.");
        Check(o.RetrySchedule is null || o.RetrySchedule.Count <= 50, "Webhooks:RetrySchedule must be a list of at most 50 delays (empty means no retries).");
        Check(o.RetrySchedule is null || o.RetrySchedule.All(d => d >= TimeSpan.Zero && d <= TimeSpan.FromDays(7)), "Webhooks:RetrySchedule delays must be between 00:00:00 and 7.00:00:00.");
        Check(o.RetryJitter is >= 0 and <= 1, $"Webhooks:RetryJitter is {o.RetryJitter}; use 0 to 1 (0.2 = ±20%).");
        Check(o.MaxRetryAfter >= TimeSpan.Zero, "Webhooks:MaxRetryAfter must not be negative.");
        Check(o.DisableAfterFailingFor > TimeSpan.Zero, "Webhooks:DisableAfterFailingFor must be positive.");
        Check(o.IdempotencyWindow > TimeSpan.Zero && o.IdempotencyWindow <= TimeSpan.FromDays(30), "Webhooks:IdempotencyWindow must be between 1 tick and 30 days.");
        Check(o.PollInterval >= TimeSpan.FromMilliseconds(10) && o.PollInterval <= TimeSpan.FromMinutes(5), $"Webhooks:PollInterval is {o.PollInterval}; use 00:00:00.01 to 00:05:00.");
        Check(o.LeaseDuration > o.AttemptTimeout, $"Webhooks:LeaseDuration ({o.LeaseDuration}) must be longer than AttemptTimeout ({o.AttemptTimeout}), or a slow attempt could be sent twice.");
        Check(o.MaxPayloadBytes is >= 1024 and <= 64 * 1024 * 1024, $"Webhooks:MaxPayloadBytes is {o.MaxPayloadBytes}; use 1024 to 67108864.");
        Check(o.SecretRotationGracePeriod >= TimeSpan.Zero && o.SecretRotationGracePeriod <= TimeSpan.FromDays(30), "Webhooks:SecretRotationGracePeriod must be between 0 and 30 days.");
        Check(o.InMemoryRetainedDeliveries >= 0, "Webhooks:InMemoryRetainedDeliveries must not be negative.");
        var cb = o.CircuitBreaker;
        Check(cb is not null, "Webhooks:CircuitBreaker must not be null.");
        if (cb is not null)
        {
            Check(cb.MinimumAttempts is >= 1 and <= 10_000, $"Webhooks:CircuitBreaker:MinimumAttempts is {cb.MinimumAttempts}; use 1 to 10000.");
            Check(cb.FailureRatio is > 0 and <= 1, $"Webhooks:CircuitBreaker:FailureRatio is {cb.FailureRatio}; use a share above 0 and at most 1 (0.5 = half).");
            Check(cb.SamplingWindow > TimeSpan.Zero && cb.BreakDuration > TimeSpan.Zero && cb.MaxBreakDuration >= cb.BreakDuration, "Webhooks:CircuitBreaker:SamplingWindow and BreakDuration must be positive, and MaxBreakDuration at least BreakDuration.");
        }

        Check(!string.IsNullOrWhiteSpace(o.UserAgent) && o.UserAgent.All(c => c is >= ' ' and <= '~'), "Webhooks:UserAgent must be non-empty printable ASCII.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsHeaderName(string? name) =>
        !string.IsNullOrEmpty(name) && name.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}

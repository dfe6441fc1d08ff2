namespace Webhooks.Core.Diagnostics;

/// <summary>
/// The names under which the library emits metrics (<see cref="System.Diagnostics.Metrics.Meter"/>)
/// and traces (<see cref="System.Diagnostics.ActivitySource"/>): add them to OpenTelemetry
/// (<c>.AddMeter(WebhookDiagnostics.MeterName)</c>, <c>.AddSource(WebhookDiagnostics.ActivitySourceName)</c>)
/// or watch them with <c>dotnet-counters monitor --counters Webhooks</c>.
/// </summary>
public static class WebhookDiagnostics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Webhooks";

    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "Webhooks";
}

namespace Distill.Pipelines.Catalogue;

/// <summary>A stage kind's parameters as one typed record, read from the resolved values once.</summary>
public interface IStageParameters<TSelf> where TSelf : IStageParameters<TSelf>
{
    /// <summary>Reads the record from a stage's resolved parameters (defaults already filled in by the binder).</summary>
    static abstract TSelf From(ParameterSet parameters);
}

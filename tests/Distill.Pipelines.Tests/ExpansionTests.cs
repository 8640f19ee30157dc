namespace Distill.Pipelines.Tests;

public class ExpansionTests
{
    private static PipelineDefinition Quickstart()
    {
        var result = PipelineLoader.Load(TestPipelines.Quickstart, StageKindRegistry.Catalogue);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.Pipeline!;
    }

    [Fact]
    public void Matrix_expands_in_declaration_order_with_templated_ids()
    {
        var students = Quickstart().Stages.Where(s => s.BaseName == "student").Select(s => s.Id).ToList();

        Assert.Equal(
            ["student-T1-hard", "student-T1-smooth", "student-T2-hard", "student-T2-smooth",
             "student-T4-hard", "student-T4-smooth", "student-T8-hard", "student-T8-smooth"],
            students);
    }

    [Fact]
    public void A_report_without_inputs_reads_every_other_stage_and_runs_last()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              summary:
                kind: report
              teacher:
                kind: train
                matrix: { alpha: [0, 0.1] }
                dataset: fm
                model: net
                alpha: ${alpha}
            """);

        Assert.Equal("summary", p.Stages[^1].Id);
        Assert.Equal(["teacher-alpha0", "teacher-alpha0.1"], p.Stage("summary").Dependencies.Order());
    }

    [Fact]
    public void Default_ids_name_each_variable_and_value()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              teacher:
                kind: train
                matrix: { alpha: [0, 0.1], depth-note: [A b] }
                dataset: fm
                model: net
                alpha: ${alpha}
            """);

        Assert.Equal(["teacher-alpha0-depth-notea-b", "teacher-alpha0.1-depth-notea-b"], p.Stages.Select(s => s.Id));
    }

    [Fact]
    public void Whole_value_reference_keeps_the_matrix_value_type()
    {
        var p = Quickstart();
        var s = p.Stage("student-T4-smooth");

        Assert.Equal(4.0, s.Parameters.GetDouble("temperature"));
        Assert.IsType<double>(s.Parameters["temperature"]);
        Assert.Equal(4, s.MatrixValues["temperature"]);
        Assert.Equal("smooth", s.MatrixValues["teacher"]);
    }

    [Fact]
    public void Quoted_matrix_value_stays_a_string_and_fails_a_number_parameter()
    {
        var errors = TestPipelines.Errors(TestPipelines.Header + """
              teacher:
                kind: train
                matrix: { a: ["0.1"] }
                dataset: fm
                model: net
                alpha: ${a}
            """);

        var e = Assert.Single(errors);
        Assert.Equal("alpha must be a number, got '0.1'", e.Message);
        Assert.Equal((11, 19), (e.Line, e.Column)); // the matrix value itself
    }

    [Fact]
    public void Reference_inside_text_is_substituted_and_escape_is_kept_literal()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              teacher:
                kind: train
                matrix: { n: [3] }
                dataset: fm
                model: net
              report:
                kind: report
                matrix: { who: [teacher] }
                title: "Report on ${who} ($${not-a-variable})"
                inputs: { main: "${who}" }
            """);

        var report = p.Stages.Single(s => s.Kind == "report");
        Assert.Equal("Report on teacher (${not-a-variable})", report.Parameters.GetString("title"));
        Assert.Equal(["teacher-n3"], report.Inputs["main"]);
    }

    [Fact]
    public void Inputs_resolve_exact_ids_base_names_and_star()
    {
        var p = Quickstart();
        var report = p.Stage("report");

        Assert.Equal(8, report.Inputs["students"].Count);
        Assert.All(report.Inputs["students"], id => Assert.StartsWith("student-", id));
        Assert.Equal(p.Stages.Count - 1, report.Inputs["all"].Count);
        Assert.DoesNotContain("report", report.Inputs["all"]);
        Assert.Equal(["cache-hard"], p.Stage("student-T2-hard").Inputs["teacher"]);
        Assert.Equal(["teacher-smooth"], p.Stage("cache-smooth").Inputs["teacher"]);
    }

    [Fact]
    public void Stages_come_after_the_stages_they_read()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              summary:
                kind: report
                inputs: { students: student }
              student:
                kind: distill
                matrix: { temperature: [1, 2] }
                dataset: fm
                model: net
                temperature: ${temperature}
                inputs: { teacher: cache }
              cache:
                kind: cache-logits
                inputs: { teacher: teacher }
              teacher:
                kind: train
                dataset: fm
                model: res
            """);

        var ids = p.Stages.Select(s => s.Id).ToList();
        Assert.Equal(["teacher", "cache", "student-temperature1", "student-temperature2", "summary"], ids);
        foreach (var s in p.Stages)
            Assert.All(s.Dependencies, d => Assert.True(ids.IndexOf(d) < ids.IndexOf(s.Id), $"{d} must come before {s.Id}"));
    }

    [Fact]
    public void Defaults_are_applied_and_typed()
    {
        var s = Quickstart().Stage("teacher-hard");

        Assert.Equal(5, s.Parameters.GetInt("epochs"));
        Assert.Equal(128, s.Parameters.GetInt("batch-size"));
        Assert.Equal(0.1, s.Parameters.GetDouble("lr"));
        Assert.Equal(0.9, s.Parameters.GetDouble("momentum"));
        Assert.True(s.Parameters.GetBool("nesterov"));
        Assert.Equal(5e-4, s.Parameters.GetDouble("weight-decay"));
        Assert.Equal("multistep", s.Parameters.GetString("schedule"));
        Assert.Equal([0.5, 0.75], s.Parameters.GetDoubles("milestones"));
        Assert.False(s.Parameters.GetMap("mutual-information").GetBool("enabled"));
        Assert.Equal(300, s.Parameters.GetMap("mutual-information").GetInt("examples-per-class"));
        Assert.Equal("fmnist", s.Dataset);
        Assert.Equal("teacher-net", s.Model);
    }

    [Fact]
    public void Integer_written_for_a_number_parameter_is_a_double()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              teacher: { kind: train, dataset: fm, model: net, lr: 1, alpha: 0 }
            """);

        Assert.IsType<double>(p.Stages[0].Parameters["lr"]);
        Assert.IsType<double>(p.Stages[0].Parameters["alpha"]);
    }

    [Fact]
    public void Datasets_and_models_resolve_with_defaults_and_absolute_paths()
    {
        var p = TestPipelines.Load(TestPipelines.Header.Replace("fm: { kind: fashion-mnist, validation: 1000 }",
            "fm: { kind: fashion-mnist, validation: 1000 }\n  c100: { kind: cifar100, labels: coarse }") + """
              teacher: { kind: train, dataset: c100, model: res }
            """);

        Assert.Equal("/usr/share/datasets/fashion-mnist", p.Datasets["fm"].Path);
        Assert.Equal("/pipelines/data/cifar-100", p.Datasets["c100"].Path);
        Assert.Equal(20, p.Datasets["c100"].ClassNames!.Count);
        Assert.Equal(4, p.Datasets["fm"].Parameters.GetMap("augmentation").GetInt("crop-padding"));
        Assert.False(p.Datasets["fm"].Parameters.ContainsKey("subset"));
        Assert.Equal(20, p.Models["res"].Parameters.GetInt("depth"));
        Assert.Equal(16, p.Models["res"].Parameters.GetInt("width"));
        Assert.Equal(7, p.Seed);
        Assert.Equal("auto", p.Device);
    }

    [Fact]
    public void Merge_keys_fill_missing_keys_explicit_keys_and_earlier_maps_win()
    {
        var p = TestPipelines.Load("""
            name: t
            x-base: &base { dataset: fm, model: net, epochs: 3, lr: 0.5 }
            x-fast: &fast { epochs: 1, batch-size: 64 }
            datasets: { fm: { kind: fashion-mnist } }
            models: { net: { architecture: alexnet } }
            stages:
              a:
                <<: [*fast, *base]
                kind: train
                lr: 0.2
            """);

        var s = p.Stages[0].Parameters;
        Assert.Equal(1, s.GetInt("epochs"));       // *fast listed first wins over *base
        Assert.Equal(64, s.GetInt("batch-size"));
        Assert.Equal(0.2, s.GetDouble("lr"));       // explicit key wins over merged ones
        Assert.Equal("fm", p.Stages[0].Dataset);
    }

    [Fact]
    public void Class_names_resolve_to_indices()
    {
        var p = Quickstart();

        Assert.Equal([0, 7, 8], p.Stage("geometry").Parameters.GetList("classes"));
        Assert.Equal([0, 9], p.Stage("teacher-smooth").Parameters.GetMap("mutual-information").GetList("classes"));
    }

    [Fact]
    public void Stage_location_points_at_its_name()
    {
        var p = Quickstart();
        var s = p.Stage("student-T1-hard");

        Assert.Equal(TestPipelines.Quickstart, s.Location.File);
        Assert.Equal("student:", File.ReadAllLines(TestPipelines.Quickstart)[s.Location.Line - 1].Trim());
    }

    [Fact]
    public void Live_distillation_reads_a_train_stage()
    {
        var p = TestPipelines.Load(TestPipelines.Header + """
              teacher: { kind: train, dataset: fm, model: res }
              student: { kind: distill, dataset: fm, model: net, teacher-source: live, inputs: { teacher: teacher } }
            """);

        Assert.Equal("live", p.Stage("student").Parameters.GetString("teacher-source"));
    }
}

using System.Text.Json;
using TorchSharp;
using Distill.Learning.Models;
using Distill.Learning.Training;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Training;

/// <summary>
/// Every distillation loss against a PyTorch implementation written here, line for line after the authors' published
/// code (RepDistiller for RKD, PKT, SP, AT, FitNet, FSP, AB, FT and CRD; mdistiller for DKD and NST; RepDistiller's restructuring of the authors' code for CC and its copy of it for VID; the authors' repositories for DIST, WTTM,
/// MLKD, CTKD and logit standardization; TRL for the divergences), run by
/// Debian's python3-torch on the same random float64 tensors: the loss value and its gradient with respect to the
/// student's tensors, to 1e-6. One Python process computes every case.
/// </summary>
public sealed class PyTorchLossTwinTests : IClassFixture<PyTorchLossTwinTests.Twins>
{
    private const string Python = "/usr/bin/python3";
    private const int Batch = 12, Classes = 7;

    private const string Script = """
import json, math, sys
import numpy as np
import torch
import torch.nn.functional as F

def load(case, name):
    spec = case["tensors"][name]
    return torch.from_numpy(np.fromfile(spec["file"], dtype="<f8").reshape(spec["shape"]))

# Hinton et al. 2015, student softened too, times T^2 (the `kd` loss with student-temperature T and t-squared).
def kd(s, t, y, p):
    T = p["temperature"]
    return -(F.softmax(t / T, 1) * F.log_softmax(s / T, 1)).sum(1).mean() * T * T

# The two KD forms the compatibility study compares, both without cross-entropy. Chandrasegaran et al. (ICML 2022),
# sutd-visual-computing-group/LS-KD-compatibility, src/image_classification/cub/utils.py, KL_div_Loss.forward: teacher
# and student at T, KL with batchmean, times T^2. Müller et al. (NeurIPS 2019): the student at T = 1, no T^2, the line
# that same forward comments out ("Muller et. al used this").
def kd_chandrasegaran(s, t, y, p):
    T = p["temperature"]
    log_p = F.log_softmax(s / T, dim=1)
    q = F.softmax(t / T, dim=1)
    return F.kl_div(log_p, q, reduction="batchmean") * (T ** 2)
def kd_muller(s, t, y, p):
    T = p["temperature"]
    return F.kl_div(F.log_softmax(s, dim=1), F.softmax(t / T, dim=1), reduction="batchmean")

# mdistiller, mdistiller/distillers/DKD.py, plus ce-weight times the cross-entropy (no warm-up).
def dkd(s, t, y, p):
    T, alpha, beta = p["temperature"], p["alpha"], p["beta"]
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1)
    other = torch.ones_like(s).scatter_(1, y.unsqueeze(1), 0)
    def cat_mask(x):
        return torch.cat([(x * gt).sum(1, keepdims=True), (x * other).sum(1, keepdims=True)], dim=1)
    ps, pt = cat_mask(F.softmax(s / T, 1)), cat_mask(F.softmax(t / T, 1))
    tckd = F.kl_div(torch.log(ps), pt, reduction="sum") * T ** 2 / y.shape[0]
    pt2 = F.softmax(t / T - 1000.0 * gt, 1)
    ls2 = F.log_softmax(s / T - 1000.0 * gt, 1)
    nckd = F.kl_div(ls2, pt2, reduction="sum") * T ** 2 / y.shape[0]
    return p["ce"] * F.cross_entropy(s, y) + alpha * tckd + beta * nckd

# Sun et al. (CVPR 2024), sunshangquan/logit-standardization-KD, mdistiller/distillers/KD.py and DKD.py: each
# example's logits z-scored before the temperature; their KD is the KL divergence, summed over classes, batch mean, x T^2.
def normalize(logit):
    mean = logit.mean(dim=-1, keepdims=True)
    stdv = logit.std(dim=-1, keepdims=True)
    return (logit - mean) / (1e-7 + stdv)
def kd_ls(s, t, y, p):
    T = p["temperature"]
    log_pred_student = F.log_softmax(normalize(s) / T, dim=1)
    pred_teacher = F.softmax(normalize(t) / T, dim=1)
    return F.kl_div(log_pred_student, pred_teacher, reduction="none").sum(1).mean() * T ** 2
# Their DKD with logit standardization: the DKD terms on z-scored logits, the cross-entropy on the raw ones.
def dkd_ls(s, t, y, p):
    return p["ce"] * F.cross_entropy(s, y) + dkd(normalize(s), normalize(t), y, {**p, "ce": 0.0})

# huggingface/trl, GKDTrainer.generalized_jsd_loss (batchmean, no labels): beta 1 is the reverse KL, 0 < beta < 1 the
# generalized JSD with the mixture beta p_t + (1 - beta) p_s.
def generalized_jsd_loss(student_logits, teacher_logits, beta=0.5, temperature=1.0):
    student_logits = student_logits / temperature
    teacher_logits = teacher_logits / temperature
    student_log_probs = F.log_softmax(student_logits, dim=-1)
    teacher_log_probs = F.log_softmax(teacher_logits, dim=-1)
    if beta == 0:
        jsd = F.kl_div(student_log_probs, teacher_log_probs, reduction="none", log_target=True)
    elif beta == 1:
        jsd = F.kl_div(teacher_log_probs, student_log_probs, reduction="none", log_target=True)
    else:
        beta = torch.tensor(beta, dtype=student_log_probs.dtype)
        mixture_log_probs = torch.logsumexp(torch.stack([student_log_probs + torch.log(1 - beta), teacher_log_probs + torch.log(beta)]), dim=0)
        kl_teacher = F.kl_div(mixture_log_probs, teacher_log_probs, reduction="none", log_target=True)
        kl_student = F.kl_div(mixture_log_probs, student_log_probs, reduction="none", log_target=True)
        jsd = beta * kl_teacher + (1 - beta) * kl_student
    return jsd.sum() / jsd.size(0)
def gkd(s, t, y, p):
    return generalized_jsd_loss(s, t, beta=p["beta"], temperature=p["temperature"])

# hunto/DIST_KD, dist_kd.py, plus ce-weight times the cross-entropy.
def cosine_similarity(a, b, eps=1e-8):
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
def pearson_correlation(a, b, eps=1e-8):
    return cosine_similarity(a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1), eps)
def dist(s, t, y, p):
    tau = p["temperature"]
    ys, yt = (s / tau).softmax(dim=1), (t / tau).softmax(dim=1)
    inter = tau ** 2 * (1 - pearson_correlation(ys, yt).mean())
    intra = tau ** 2 * (1 - pearson_correlation(ys.transpose(0, 1), yt.transpose(0, 1)).mean())
    return p["beta"] * inter + p["gamma"] * intra + p["ce"] * F.cross_entropy(s, y)

# zkxufo/TTM, distiller_zoo/wttm.py, plus ce-weight times the cross-entropy (their -r).
def wttm(s, t, y, p):
    p_s = F.log_softmax(s, dim=1)
    p_t = torch.pow(torch.softmax(t, dim=1), p["power"])
    norm = torch.sum(p_t, dim=1)
    p_t = p_t / norm.unsqueeze(1)
    KL = torch.sum(F.kl_div(p_s, p_t, reduction='none'), dim=1)
    return p["weight"] * torch.mean(norm * KL) + p["ce"] * F.cross_entropy(s, y)
def wttm_ls(s, t, y, p):
    return wttm(normalize(s), normalize(t), y, {**p, "ce": 0.0}) + p["ce"] * F.cross_entropy(s, y)

# Jin-Ying/Multi-Level-Logit-Distillation, mdistiller/distillers/KD_ours.py (forward_train), its weak and strong views
# one batch; sunshangquan/logit-standardization-KD's MLKD.py adds logit_stand to kd_loss only.
def mlkd_kd(logits_student_in, logits_teacher_in, temperature, logit_stand):
    logits_student = normalize(logits_student_in) if logit_stand else logits_student_in
    logits_teacher = normalize(logits_teacher_in) if logit_stand else logits_teacher_in
    log_pred_student = F.log_softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
    return F.kl_div(log_pred_student, pred_teacher, reduction="none").sum(1).mean() * temperature ** 2
def cc_loss(logits_student, logits_teacher, temperature):
    batch_size, class_num = logits_teacher.shape
    pred_student = F.softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
    student_matrix = torch.mm(pred_student.transpose(1, 0), pred_student)
    teacher_matrix = torch.mm(pred_teacher.transpose(1, 0), pred_teacher)
    return ((teacher_matrix - student_matrix) ** 2).sum() / class_num
def bc_loss(logits_student, logits_teacher, temperature):
    batch_size, class_num = logits_teacher.shape
    pred_student = F.softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
    student_matrix = torch.mm(pred_student, pred_student.transpose(1, 0))
    teacher_matrix = torch.mm(pred_teacher, pred_teacher.transpose(1, 0))
    return ((teacher_matrix - student_matrix) ** 2).sum() / batch_size
def mlkd(s, t, y, p):
    temps, w, stand = p["temperatures"], p["weight"], p["stand"]
    weak_s, strong_s, weak_t, strong_t = s, s, t, t
    pred_teacher_weak = F.softmax(weak_t.detach(), dim=1)
    confidence, pseudo_labels = pred_teacher_weak.max(dim=1)
    conf_thresh = np.percentile(confidence.detach().cpu().numpy().flatten(), 50)
    mask = confidence.le(conf_thresh).bool()
    class_confidence = torch.sum(pred_teacher_weak, dim=0).detach()
    class_confidence_thresh = np.percentile(class_confidence.cpu().numpy().flatten(), 50)
    class_conf_mask = class_confidence.le(class_confidence_thresh).bool()
    loss_ce = p["ce"] * (F.cross_entropy(weak_s, y) + F.cross_entropy(strong_s, y))
    loss_kd_weak = sum(w * ((mlkd_kd(weak_s, weak_t, T, stand) * mask).mean()) for T in temps)
    loss_kd_strong = sum(w * mlkd_kd(strong_s, strong_t, T, stand) for T in temps)
    loss_cc_weak = sum(w * ((cc_loss(weak_s, weak_t, T) * class_conf_mask).mean()) for T in temps)
    loss_bc_weak = sum(w * ((bc_loss(weak_s, weak_t, T) * mask).mean()) for T in temps)
    return loss_ce + loss_kd_weak + loss_kd_strong + loss_cc_weak + loss_bc_weak

# zhengli97/CTKD: models/temp_global.py (Global_T's gradient reversal), helper/loops.py (temp = t_start + t_end *
# sigmoid(temp)) and distiller_zoo/KD.py (DistillKL), with train_student.py's -r and -a weights.
class GradientReversalFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, lambda_):
        ctx.lambda_ = lambda_
        return x.clone()
    @staticmethod
    def backward(ctx, grads):
        return grads.new_tensor(ctx.lambda_) * grads, None
def ctkd(s, t, y, theta, p):
    temp = p["t_start"] + p["t_end"] * torch.sigmoid(GradientReversalFunction.apply(theta, p["lambda"]))
    kd = torch.nn.KLDivLoss(reduction="batchmean")(F.log_softmax(s / temp, dim=1), F.softmax(t / temp, dim=1)) * temp * temp
    return p["ce"] * F.cross_entropy(s, y) + p["weight"] * kd

# RepDistiller, distiller_zoo/RKD.py
def pdist(e, squared=False, eps=1e-12):
    e_square = e.pow(2).sum(dim=1)
    prod = e @ e.t()
    res = (e_square.unsqueeze(1) + e_square.unsqueeze(0) - 2 * prod).clamp(min=eps)
    if not squared:
        res = res.sqrt()
    res = res.clone()
    res[range(len(e)), range(len(e))] = 0
    return res
def rkd(s, t, y, p):
    student, teacher = s.view(s.shape[0], -1), t.view(t.shape[0], -1)
    with torch.no_grad():
        t_d = pdist(teacher, squared=False)
        t_d = t_d / t_d[t_d > 0].mean()
    d = pdist(student, squared=False)
    d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    with torch.no_grad():
        td = teacher.unsqueeze(0) - teacher.unsqueeze(1)
        norm_td = F.normalize(td, p=2, dim=2)
        t_angle = torch.bmm(norm_td, norm_td.transpose(1, 2)).view(-1)
    sd = student.unsqueeze(0) - student.unsqueeze(1)
    norm_sd = F.normalize(sd, p=2, dim=2)
    s_angle = torch.bmm(norm_sd, norm_sd.transpose(1, 2)).view(-1)
    loss_a = F.smooth_l1_loss(s_angle, t_angle)
    return p["distance"] * loss_d + p["angle"] * loss_a

# RepDistiller, distiller_zoo/PKT.py
def pkt(s, t, y, p, eps=1e-7):
    output_net, target_net = s.view(s.shape[0], -1), t.view(t.shape[0], -1)
    output_net = output_net / (torch.sqrt(torch.sum(output_net ** 2, dim=1, keepdim=True)) + eps)
    target_net = target_net / (torch.sqrt(torch.sum(target_net ** 2, dim=1, keepdim=True)) + eps)
    model_similarity = (torch.mm(output_net, output_net.transpose(0, 1)) + 1.0) / 2.0
    target_similarity = (torch.mm(target_net, target_net.transpose(0, 1)) + 1.0) / 2.0
    model_similarity = model_similarity / torch.sum(model_similarity, dim=1, keepdim=True)
    target_similarity = target_similarity / torch.sum(target_similarity, dim=1, keepdim=True)
    return torch.mean(target_similarity * torch.log((target_similarity + eps) / (model_similarity + eps)))

# RepDistiller, distiller_zoo/SP.py
def sp(s, t, y, p):
    bsz = s.shape[0]
    f_s, f_t = s.view(bsz, -1), t.view(bsz, -1)
    G_s = F.normalize(torch.mm(f_s, torch.t(f_s)))
    G_t = F.normalize(torch.mm(f_t, torch.t(f_t)))
    G_diff = G_t - G_s
    return ((G_diff * G_diff).view(-1, 1).sum(0) / (bsz * bsz)).sum()

# RepDistiller, distiller_zoo/AT.py: one term per pair of maps, summed as train_student.py sums the group.
def at(s_maps, t_maps, y, p):
    def attention(f):
        return F.normalize(f.pow(p["power"]).mean(1).view(f.size(0), -1))
    return sum((attention(fs) - attention(ft)).pow(2).mean() for fs, ft in zip(s_maps, t_maps))

# mdistiller, mdistiller/distillers/NST.py (RepDistiller's distiller_zoo/NST.py computes the same), summed over the maps.
def single_stage_nst_loss(f_s, f_t):
    s_H, t_H = f_s.shape[2], f_t.shape[2]
    if s_H > t_H:
        f_s = F.adaptive_avg_pool2d(f_s, (t_H, t_H))
    elif s_H < t_H:
        f_t = F.adaptive_avg_pool2d(f_t, (s_H, s_H))
    f_s = f_s.view(f_s.shape[0], f_s.shape[1], -1)
    f_s = F.normalize(f_s, dim=2)
    f_t = f_t.view(f_t.shape[0], f_t.shape[1], -1)
    f_t = F.normalize(f_t, dim=2)
    return poly_kernel(f_t, f_t).mean().detach() + poly_kernel(f_s, f_s).mean() - 2 * poly_kernel(f_s, f_t).mean()
def poly_kernel(a, b):
    a = a.unsqueeze(1)
    b = b.unsqueeze(2)
    return (a * b).sum(-1).pow(2)
def nst(s_maps, t_maps, y, p):
    return sum([single_stage_nst_loss(f_s, f_t) for f_s, f_t in zip(s_maps, t_maps)])

# RepDistiller, distiller_zoo/CC.py (Correlation) on the embeddings of models/util.py's LinearEmbed heads, whose
# weights are the ones Distill drew, passed in; the teacher's head trains too.
def cc(case):
    heads = {side: (load(case, f"{side}.weight").requires_grad_(), load(case, f"{side}.bias")) for side in ("student", "teacher")}
    f_s = load(case, "student").requires_grad_()
    f_t = load(case, "teacher")
    e_s = F.linear(f_s.view(f_s.shape[0], -1), *heads["student"])
    e_t = F.linear(f_t.view(f_t.shape[0], -1), *heads["teacher"])
    delta = torch.abs(e_s - e_t)
    loss = torch.mean((delta[:-1] * delta[1:]).sum(1))
    return loss, [f_s, heads["student"][0], heads["teacher"][0]]

# RepDistiller, distiller_zoo/VID.py (VIDLoss, from the authors' code), one per map, summed as train_student.py sums
# the group; its weights the ones Distill drew, passed in.
class VIDLoss(torch.nn.Module):
    def __init__(self, num_input_channels, num_mid_channel, num_target_channels, init_pred_var=5.0, eps=1e-5):
        super(VIDLoss, self).__init__()
        def conv1x1(in_channels, out_channels, stride=1):
            return torch.nn.Conv2d(in_channels, out_channels, kernel_size=1, padding=0, bias=False, stride=stride)
        self.regressor = torch.nn.Sequential(
            conv1x1(num_input_channels, num_mid_channel), torch.nn.ReLU(),
            conv1x1(num_mid_channel, num_mid_channel), torch.nn.ReLU(),
            conv1x1(num_mid_channel, num_target_channels))
        self.log_scale = torch.nn.Parameter(np.log(np.exp(init_pred_var - eps) - 1.0) * torch.ones(num_target_channels))
        self.eps = eps
    def forward(self, input, target):
        s_H, t_H = input.shape[2], target.shape[2]
        if s_H > t_H:
            input = F.adaptive_avg_pool2d(input, (t_H, t_H))
        elif s_H < t_H:
            target = F.adaptive_avg_pool2d(target, (s_H, s_H))
        pred_mean = self.regressor(input)
        pred_var = torch.log(1.0 + torch.exp(self.log_scale)) + self.eps
        pred_var = pred_var.view(1, -1, 1, 1)
        neg_log_prob = 0.5 * ((pred_mean - target) ** 2 / pred_var + torch.log(pred_var))
        return torch.mean(neg_log_prob)
def vid(case):
    s_maps = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
    t_maps = [load(case, n) for n in case["maps"]["teacher"]]
    modules, total = [], 0
    for i, (f_s, f_t) in enumerate(zip(s_maps, t_maps)):
        m = VIDLoss(f_s.shape[1], f_t.shape[1], f_t.shape[1]).double()
        initial = m.log_scale.detach().clone()
        with torch.no_grad():
            for index, name in ((0, "conv1"), (2, "conv2"), (4, "conv3")):
                m.regressor[index].weight.copy_(load(case, f"points.{i}.{name}.weight"))
            m.log_scale.copy_(load(case, f"points.{i}.log_scale"))
        modules.append(m)
        total = total + m(f_s, f_t)
    return total, s_maps + [modules[0].regressor[0].weight, modules[0].log_scale], initial

# ReviewKD, the authors' CIFAR-100 model/reviewkd.py (ABF, the review in ReviewKD.forward, hcl) and train.py's warm-up;
# the fusions' weights the ones Distill drew, passed in.
class ABF(torch.nn.Module):
    def __init__(self, in_channel, mid_channel, out_channel, fuse):
        super(ABF, self).__init__()
        self.conv1 = torch.nn.Sequential(
            torch.nn.Conv2d(in_channel, mid_channel, kernel_size=1, bias=False), torch.nn.BatchNorm2d(mid_channel))
        self.conv2 = torch.nn.Sequential(
            torch.nn.Conv2d(mid_channel, out_channel, kernel_size=3, stride=1, padding=1, bias=False), torch.nn.BatchNorm2d(out_channel))
        self.att_conv = torch.nn.Sequential(torch.nn.Conv2d(mid_channel * 2, 2, kernel_size=1), torch.nn.Sigmoid()) if fuse else None
    def forward(self, x, y=None, shape=None, out_shape=None):
        n, _, h, w = x.shape
        x = self.conv1(x)
        if self.att_conv is not None:
            y = F.interpolate(y, (shape, shape), mode="nearest")
            z = torch.cat([x, y], dim=1)
            z = self.att_conv(z)
            x = (x * z[:, 0].view(n, 1, h, w) + y * z[:, 1].view(n, 1, h, w))
        if x.shape[-1] != out_shape:
            x = F.interpolate(x, (out_shape, out_shape), mode="nearest")
        y = self.conv2(x)
        return y, x

def hcl(fstudent, fteacher):
    loss_all = 0.0
    for fs, ft in zip(fstudent, fteacher):
        n, c, h, w = fs.shape
        loss = F.mse_loss(fs, ft, reduction='mean')
        cnt = 1.0
        tot = 1.0
        for l in [4, 2, 1]:
            if l >= h:
                continue
            tmpfs = F.adaptive_avg_pool2d(fs, (l, l))
            tmpft = F.adaptive_avg_pool2d(ft, (l, l))
            cnt /= 2.0
            loss += F.mse_loss(tmpfs, tmpft, reduction='mean') * cnt
            tot += cnt
        loss = loss / tot
        loss_all = loss_all + loss
    return loss_all

def reviewkd(case):
    p = case["parameters"]
    s_maps = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
    t_maps = [load(case, n) for n in case["maps"]["teacher"]]
    feats = s_maps[:-1] + [s_maps[-1].unsqueeze(-1).unsqueeze(-1)]
    targets = t_maps[:-1] + [t_maps[-1].unsqueeze(-1).unsqueeze(-1)]
    in_channels = [f.shape[1] for f in feats]
    mid_channel = min(512, in_channels[-1])
    abfs = torch.nn.ModuleList([ABF(c, mid_channel, targets[i].shape[1], i < len(in_channels) - 1) for i, c in enumerate(in_channels)]).double()
    with torch.no_grad():
        for i, abf in enumerate(abfs):
            abf.conv1[0].weight.copy_(load(case, f"levels.{i}.conv1.weight"))
            abf.conv1[1].weight.copy_(load(case, f"levels.{i}.norm1.weight"))
            abf.conv1[1].bias.copy_(load(case, f"levels.{i}.norm1.bias"))
            abf.conv2[0].weight.copy_(load(case, f"levels.{i}.conv2.weight"))
            abf.conv2[1].weight.copy_(load(case, f"levels.{i}.norm2.weight"))
            abf.conv2[1].bias.copy_(load(case, f"levels.{i}.norm2.bias"))
            if abf.att_conv is not None:
                abf.att_conv[0].weight.copy_(load(case, f"levels.{i}.attention.weight"))
                abf.att_conv[0].bias.copy_(load(case, f"levels.{i}.attention.bias"))
    first = abfs[0]
    abfs = abfs[::-1]
    shapes = [f.shape[2] for f in feats][::-1]
    out_shapes = [t.shape[2] for t in targets][::-1]
    x = feats[::-1]
    results = []
    out_features, res_features = abfs[0](x[0], out_shape=out_shapes[0])
    results.append(out_features)
    for features, abf, shape, out_shape in zip(x[1:], abfs[1:], shapes[1:], out_shapes[1:]):
        out_features, res_features = abf(features, res_features, shape, out_shape)
        results.insert(0, out_features)
    loss = hcl(results, targets) * min(1, p["epoch"] / p["warmup"])
    return loss, s_maps + [first.conv1[0].weight, first.att_conv[0].weight]

# mdistiller, distillers/OFD.py: feat_loss, init_ofd_modules' margins (scipy's norm.cdf(x) written 0.5 * erfc(-x / sqrt 2)),
# ConnectorConvBN's connectors and ofd_loss; the connectors' weights and the teacher's batch norms the ones Distill drew.
def feat_loss(source, target, margin):
    margin = margin.to(source)
    loss = (
        (source - margin) ** 2 * ((source > margin) & (target <= margin)).float()
        + (source - target) ** 2 * ((source > target) & (target > margin) & (target <= 0)).float()
        + (source - target) ** 2 * (target > 0).float()
    )
    return torch.abs(loss).mean(dim=0).sum()

def ofd_margin(weight, bias):
    margin = []
    for (s, m) in zip(weight, bias):
        s = abs(s.item())
        m = m.item()
        cdf = 0.5 * math.erfc((m / s) / math.sqrt(2))
        if cdf > 0.001:
            margin.append(-s * math.exp(-((m / s) ** 2) / 2) / math.sqrt(2 * math.pi) / cdf + m)
        else:
            margin.append(-3 * s)
    return torch.tensor(margin, dtype=torch.float64).unsqueeze(1).unsqueeze(2).unsqueeze(0)

def ofd(case):
    s_maps = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
    t_maps = [load(case, n) for n in case["maps"]["teacher"]]
    connectors, margins = [], []
    for i, (f_s, f_t) in enumerate(zip(s_maps, t_maps)):
        c = torch.nn.Sequential(torch.nn.Conv2d(f_s.shape[1], f_t.shape[1], kernel_size=1, bias=False), torch.nn.BatchNorm2d(f_t.shape[1])).double()
        with torch.no_grad():
            c[0].weight.copy_(load(case, f"stages.{i}.conv.weight"))
            c[1].weight.copy_(load(case, f"stages.{i}.norm.weight"))
            c[1].bias.copy_(load(case, f"stages.{i}.norm.bias"))
        connectors.append(c)
        margins.append(ofd_margin(load(case, f"bn{i}.weight"), load(case, f"bn{i}.bias")))
    feature_student = [connectors[i](f) for i, f in enumerate(s_maps)]
    loss_distill = 0
    feat_num = len(feature_student)
    for i in range(feat_num):
        loss_distill = loss_distill + feat_loss(
            feature_student[i], F.adaptive_avg_pool2d(t_maps[i], feature_student[i].shape[-2:]).detach(), margins[i]
        ) / 2 ** (feat_num - i - 1)
    return loss_distill, s_maps + [connectors[0][0].weight]

# RepDistiller, distiller_zoo/AB.py (ABLoss) and models/util.py (Connector of ConvReg with use_relu=False, or nothing
# where the maps agree), summed as its init stage sums the group; the connectors' weights the ones Distill drew.
class ConvReg(torch.nn.Module):
    def __init__(self, s_shape, t_shape, use_relu=True):
        super(ConvReg, self).__init__()
        self.use_relu = use_relu
        s_N, s_C, s_H, s_W = s_shape
        t_N, t_C, t_H, t_W = t_shape
        if s_H == 2 * t_H:
            self.conv = torch.nn.Conv2d(s_C, t_C, kernel_size=3, stride=2, padding=1)
        elif s_H >= t_H:
            self.conv = torch.nn.Conv2d(s_C, t_C, kernel_size=(1+s_H-t_H, 1+s_W-t_W))
        self.bn = torch.nn.BatchNorm2d(t_C)
        self.relu = torch.nn.ReLU(inplace=True)
    def forward(self, x):
        x = self.conv(x)
        if self.use_relu:
            return self.relu(self.bn(x))
        else:
            return self.bn(x)

class ABLoss(torch.nn.Module):
    def __init__(self, feat_num, margin=1.0):
        super(ABLoss, self).__init__()
        self.w = [2**(i-feat_num+1) for i in range(feat_num)]
        self.margin = margin
    def forward(self, g_s, g_t):
        bsz = g_s[0].shape[0]
        losses = [self.criterion_alternative_l2(s, t) for s, t in zip(g_s, g_t)]
        losses = [w * l for w, l in zip(self.w, losses)]
        losses = [l / bsz for l in losses]
        losses = [l / 1000 * 3 for l in losses]
        return losses
    def criterion_alternative_l2(self, source, target):
        loss = ((source + self.margin) ** 2 * ((source > -self.margin) & (target <= 0)).float() +
                (source - self.margin) ** 2 * ((source <= self.margin) & (target > 0)).float())
        return torch.abs(loss).sum()

def ab(case):
    s_maps = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
    t_maps = [load(case, n) for n in case["maps"]["teacher"]]
    connectors = []
    for i, (f_s, f_t) in enumerate(zip(s_maps, t_maps)):
        if f_s.shape[1] == f_t.shape[1] and f_s.shape[2] == f_t.shape[2]:
            connectors.append(torch.nn.Sequential())
            continue
        c = ConvReg(f_s.shape, f_t.shape, use_relu=False).double()
        with torch.no_grad():
            for name in ("conv.weight", "conv.bias", "bn.weight", "bn.bias"):
                dict(c.named_parameters())[name].copy_(load(case, f"stages.{i}.{name}"))
        connectors.append(c)
    g_s = [c(f) for c, f in zip(connectors, s_maps)]
    return sum(ABLoss(len(s_maps), margin=case["parameters"]["margin"])(g_s, t_maps)), s_maps + [connectors[0].conv.weight]

# RepDistiller, distiller_zoo/FT.py (FactorTransfer, p1 2, p2 1) and models/util.py (Paraphraser with use_bn=False,
# Translator with use_bn=True), as train_student.py builds them for `factor`; the weights the ones Distill drew. The
# factor term reads the frozen paraphraser's encoding of the teacher's map; its init stage trains the paraphraser alone
# to reconstruct that map (nn.MSELoss).
class Paraphraser(torch.nn.Module):
    def __init__(self, t_shape, k=0.5, use_bn=False):
        super(Paraphraser, self).__init__()
        in_channel = t_shape[1]
        out_channel = int(t_shape[1] * k)
        self.encoder = torch.nn.Sequential(
            torch.nn.Conv2d(in_channel, in_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(in_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.Conv2d(in_channel, out_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(out_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.Conv2d(out_channel, out_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(out_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
        )
        self.decoder = torch.nn.Sequential(
            torch.nn.ConvTranspose2d(out_channel, out_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(out_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.ConvTranspose2d(out_channel, in_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(in_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.ConvTranspose2d(in_channel, in_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(in_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
        )
    def forward(self, f_s, is_factor=False):
        factor = self.encoder(f_s)
        if is_factor:
            return factor
        rec = self.decoder(factor)
        return factor, rec

class Translator(torch.nn.Module):
    def __init__(self, s_shape, t_shape, k=0.5, use_bn=True):
        super(Translator, self).__init__()
        in_channel = s_shape[1]
        out_channel = int(t_shape[1] * k)
        self.encoder = torch.nn.Sequential(
            torch.nn.Conv2d(in_channel, in_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(in_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.Conv2d(in_channel, out_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(out_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
            torch.nn.Conv2d(out_channel, out_channel, 3, 1, 1),
            torch.nn.BatchNorm2d(out_channel) if use_bn else torch.nn.Sequential(),
            torch.nn.LeakyReLU(0.1, inplace=True),
        )
    def forward(self, f_s):
        return self.encoder(f_s)

class FactorTransfer(torch.nn.Module):
    def __init__(self, p1=2, p2=1):
        super(FactorTransfer, self).__init__()
        self.p1 = p1
        self.p2 = p2
    def forward(self, f_s, f_t):
        s_H, t_H = f_s.shape[2], f_t.shape[2]
        if s_H > t_H:
            f_s = F.adaptive_avg_pool2d(f_s, (t_H, t_H))
        elif s_H < t_H:
            f_t = F.adaptive_avg_pool2d(f_t, (s_H, s_H))
        if self.p2 == 1:
            return (self.factor(f_s) - self.factor(f_t)).abs().mean()
        return (self.factor(f_s) - self.factor(f_t)).pow(self.p2).mean()
    def factor(self, f):
        return F.normalize(f.pow(self.p1).mean(1).view(f.size(0), -1))

# Their Sequential indices -> Distill's layer names.
FT_LAYERS = {"paraphraser": {"encoder.0": "encoder1", "encoder.3": "encoder2", "encoder.6": "encoder3",
                             "decoder.0": "decoder1", "decoder.3": "decoder2", "decoder.6": "decoder3"},
             "translator": {"encoder.0": "conv1", "encoder.1": "bn1", "encoder.3": "conv2", "encoder.4": "bn2",
                            "encoder.6": "conv3", "encoder.7": "bn3"}}
def ft_modules(case):
    s_shape, t_shape = case["tensors"]["s-stage3"]["shape"], case["tensors"]["t-stage3"]["shape"]
    k = case["parameters"]["rate"]
    modules = {"paraphraser": Paraphraser(t_shape, k).double(), "translator": Translator(s_shape, t_shape, k).double()}
    with torch.no_grad():
        for side, module in modules.items():
            for name, parameter in module.named_parameters():
                layer, field = name.rsplit(".", 1)
                parameter.copy_(load(case, f"{side}.{FT_LAYERS[side][layer]}.{field}"))
    return modules["paraphraser"], modules["translator"]
def ft(case):
    paraphraser, translator = ft_modules(case)
    f_s = load(case, "s-stage3").requires_grad_()
    factor_t = paraphraser(load(case, "t-stage3"), is_factor=True)
    return FactorTransfer()(translator(f_s), factor_t), [f_s, translator.encoder[0].weight]
def ft_paraphraser(case):
    paraphraser, _ = ft_modules(case)
    f_t = load(case, "t-stage3")
    _, f_t_rec = paraphraser(f_t)
    return torch.nn.MSELoss()(f_t_rec, f_t), [paraphraser.decoder[0].weight, paraphraser.encoder[0].weight]

# RepDistiller, distiller_zoo/FSP.py, the pairs' losses summed as its init stage sums them.
def compute_fsp(g):
    fsp_list = []
    for i in range(len(g) - 1):
        bot, top = g[i], g[i + 1]
        b_H, t_H = bot.shape[2], top.shape[2]
        if b_H > t_H:
            bot = F.adaptive_avg_pool2d(bot, (t_H, t_H))
        elif b_H < t_H:
            top = F.adaptive_avg_pool2d(top, (b_H, b_H))
        bot = bot.unsqueeze(1)
        top = top.unsqueeze(2)
        bot = bot.view(bot.shape[0], bot.shape[1], bot.shape[2], -1)
        top = top.view(top.shape[0], top.shape[1], top.shape[2], -1)
        fsp_list.append((bot * top).mean(-1))
    return fsp_list
def fsp(s_maps, t_maps, y, p):
    return sum([(s - t).pow(2).mean() for s, t in zip(compute_fsp(s_maps), compute_fsp(t_maps))])

# mdistiller, mdistiller/distillers/KDSVD.py (kdsvd_loss, svd, align_rsv, removenan), with the two changes Distill's
# SingularVectorTerm documents: each map read as (H*W) x C per example (the TF original's NHWC reshape; mdistiller's view
# of an NCHW map gives (C*H) x W), and the teacher's vectors signed so that their largest entry is positive (svd_flip).
# Gradients are PyTorch's own SVD backward.
def kdsvd_removenan(x):
    return torch.where(torch.isfinite(x), x, torch.zeros_like(x))
def kdsvd_svd(feat, n=1):
    size = feat.shape
    x = feat.permute(0, 2, 3, 1).reshape(size[0], size[2] * size[3], size[1])
    u, s, v = torch.svd(x)
    u, s, v = kdsvd_removenan(u), kdsvd_removenan(s), kdsvd_removenan(v)
    if n > 0:
        u = F.normalize(u[:, :, :n], dim=1)
        s = F.normalize(s[:, :n], dim=1)
        v = F.normalize(v[:, :, :n], dim=1)
    return u, s, v
def svd_flip(v):
    return v * v.gather(1, v.abs().argmax(1, keepdim=True)).sign()
def align_rsv(a, b):
    cosine = torch.matmul(a.transpose(-2, -1), b)
    max_abs_cosine, _ = torch.max(torch.abs(cosine), 1, keepdim=True)
    mask = torch.where(torch.eq(max_abs_cosine, torch.abs(cosine)), torch.sign(cosine), torch.zeros_like(cosine))
    a = torch.matmul(a, mask)
    return a, b
def kdsvd_loss(g_s, g_t, k):
    v_sb = None
    v_tb = None
    losses = []
    for i, f_s, f_t in zip(range(len(g_s)), g_s, g_t):
        u_t, s_t, v_t = kdsvd_svd(f_t, k)
        v_t = svd_flip(v_t)
        u_s, s_s, v_s = kdsvd_svd(f_s, k + 3)
        v_s, v_t = align_rsv(v_s, v_t)
        s_t = s_t.unsqueeze(1)
        v_t = v_t * s_t
        v_s = v_s * s_t
        if i > 0:
            s_rbf = torch.exp(-(v_s.unsqueeze(2) - v_sb.unsqueeze(1)).pow(2) / 8)
            t_rbf = torch.exp(-(v_t.unsqueeze(2) - v_tb.unsqueeze(1)).pow(2) / 8)
            l2loss = (s_rbf - t_rbf.detach()).pow(2)
            l2loss = torch.where(torch.isfinite(l2loss), l2loss, torch.zeros_like(l2loss))
            losses.append(l2loss.sum())
        v_tb = v_t
        v_sb = v_s
    bsz = g_s[0].shape[0]
    losses = [l / bsz for l in losses]
    return sum(losses)
def kdsvd(s_maps, t_maps, y, p):
    return kdsvd_loss(s_maps, t_maps, p["k"])

# RepDistiller, models/util.py ConvReg (train mode, so batch norm normalises with the batch's statistics) and
# distiller_zoo/FitNet.py HintLoss (MSE); its weights are the ones Distill drew, passed in.
def fitnet(s, t, w, b, p):
    y = F.conv2d(s, w, b, stride=p["stride"], padding=p["padding"])
    y = F.batch_norm(y, None, None, training=True, eps=1e-5)
    return F.mse_loss(F.relu(y), t)

# RepDistiller, crd/criterion.py and crd/memory.py: heads, memory scores, NCE with P_n = 1/N, Z fixed at the first
# batch, momentum updates of the memory after each batch. Two batches; the second's loss and gradients are compared.
def crd(case):
    p = case["parameters"]
    T, m = p["temperature"], p["momentum"]
    memory = {"student": load(case, "memory_student"), "teacher": load(case, "memory_teacher")}
    heads = {side: (load(case, f"{side}.weight").requires_grad_(), load(case, f"{side}.bias")) for side in ("student", "teacher")}
    def unit(x):
        return x / x.pow(2).sum(1, keepdim=True).sqrt()
    def scores(mem, contrast, v):
        rows = mem[contrast.reshape(-1)].reshape(contrast.shape[0], contrast.shape[1], -1)
        return torch.exp(torch.bmm(rows, v.unsqueeze(2)).squeeze(2) / T)
    def nce(x, n):
        k = x.shape[1] - 1
        noise = k / n
        positive = torch.log(x[:, 0] / (x[:, 0] + noise + 1e-7))
        negative = torch.log(noise / (x[:, 1:] + noise + 1e-7))
        return -(positive.sum() + negative.sum()) / x.shape[0]
    n = memory["student"].shape[0]
    Z, first = None, None
    for step in (1, 2):
        f_s = load(case, f"student{step}").requires_grad_()
        examples, contrast = load(case, f"examples{step}").long(), load(case, f"contrast{step}").long()
        e = {"student": unit(F.linear(f_s.flatten(1), *heads["student"])), "teacher": unit(F.linear(load(case, f"teacher{step}").flatten(1), *heads["teacher"]))}
        from_student = scores(memory["teacher"], contrast, e["student"])
        from_teacher = scores(memory["student"], contrast, e["teacher"])
        if Z is None:
            Z = (from_student.mean().item() * n, from_teacher.mean().item() * n)
        value = nce(from_student / Z[0], n) + nce(from_teacher / Z[1], n)
        with torch.no_grad():
            for side in ("student", "teacher"):
                moved = memory[side][examples] * m + e[side] * (1 - m)
                memory[side][examples] = moved / moved.pow(2).sum(1, keepdim=True).sqrt()
        first = value.item() if first is None else first
    value.backward()
    gradients = [f_s, heads["student"][0], heads["teacher"][0]]
    state = [memory["student"].reshape(-1).tolist(), memory["teacher"].reshape(-1).tolist(), list(Z), [first]]
    return value, gradients, state

losses = {"kd": kd, "kd_chandrasegaran": kd_chandrasegaran, "kd_muller": kd_muller, "dkd": dkd, "dist": dist, "rkd": rkd, "pkt": pkt, "sp": sp, "kd_ls": kd_ls, "dkd_ls": dkd_ls, "gkd": gkd, "wttm": wttm, "wttm_ls": wttm_ls, "mlkd": mlkd}
results = {}
for case in json.load(open(sys.argv[1])):
    y = load(case, "labels").long()
    if case["loss"] == "vid":
        value, s, initial = vid(case)
        value.backward()
        results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s] + [initial.reshape(-1).tolist()]}
        continue
    if case["loss"] in ("reviewkd", "ofd", "ab", "ft", "ft_paraphraser"):
        value, s = {"reviewkd": reviewkd, "ofd": ofd, "ab": ab, "ft": ft, "ft_paraphraser": ft_paraphraser}[case["loss"]](case)
        value.backward()
        results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s]}
        continue
    if case["loss"] == "cc":
        value, s = cc(case)
        value.backward()
        results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s]}
        continue
    if case["loss"] == "crd":
        value, s, state = crd(case)
        results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s], "state": state}
        continue
    if case["loss"] in ("at", "nst", "fsp", "kdsvd"):
        s = [load(case, n).requires_grad_() for n in case["maps"]["student"]]
        t = [load(case, n) for n in case["maps"]["teacher"]]
        value = {"at": at, "nst": nst, "fsp": fsp, "kdsvd": kdsvd}[case["loss"]](s, t, y, case["parameters"])
    elif case["loss"] == "ctkd":
        s = [load(case, "student").requires_grad_(), load(case, "theta").requires_grad_()]
        value = ctkd(s[0], load(case, "teacher"), y, s[1], case["parameters"])
    elif case["loss"] == "fitnet":
        s = [load(case, "student").requires_grad_(), load(case, "weight").requires_grad_()]
        value = fitnet(s[0], load(case, "teacher"), s[1], load(case, "bias"), case["parameters"])
    else:
        s = [load(case, "student").requires_grad_()]
        t = load(case, "teacher")
        value = losses[case["loss"]](s[0], t, y, case["parameters"])
    value.backward()
    results[case["name"]] = {"loss": value.item(), "gradients": [x.grad.reshape(-1).tolist() for x in s]}
json.dump(results, open(sys.argv[2], "w"))
""";

    /// <summary>A case: the loss's name, its parameters, and the C# side computing (loss, student tensors).</summary>
    private sealed record Case(string Name, string Loss, object Parameters, long[] StudentShape, long[] TeacherShape,
        Func<Tensor, Tensor, Tensor, Tensor> Ours, int Maps = 0);

    private static readonly Case[] Cases =
    [
        new("kd T4", "kd", new { temperature = 4.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new SoftTargetLoss(4, 4, 1, true).Loss(s, t, y)),
        // The `kd` keys of each compatibility paper's form: `student-temperature: T, t-squared: true` (Chandrasegaran et al.),
        // the defaults (Müller et al.); their code's KL is ours minus the teacher's entropy, which carries no gradient.
        new("kd Chandrasegaran T3", "kd_chandrasegaran", new { temperature = 3.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new SoftTargetLoss(3, 3, 1, true).Loss(s, t, y).sub(TeacherEntropy(t, 3).mul(9))),
        new("kd Muller T3", "kd_muller", new { temperature = 3.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new SoftTargetLoss(3, 1, 1, false).Loss(s, t, y).sub(TeacherEntropy(t, 3))),
        new("dkd", "dkd", new { temperature = 4.0, alpha = 1.0, beta = 8.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new DecoupledLoss(4, 1, 8, 1).Loss(s, t, y)),
        new("dist", "dist", new { temperature = 4.0, beta = 2.0, gamma = 2.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new CorrelationLoss(4, 2, 2, 1).Loss(s, t, y)),
        // Their KD is KL(p_t || p_s) = H(p_t, p_s) - H(p_t): ours minus the teacher's entropy, which carries no gradient.
        new("kd T2 logit standardization", "kd_ls", new { temperature = 2.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new SoftTargetLoss(2, 2, 1, true) { Standardized = true }.Loss(s, t, y).sub(TeacherEntropy(LogitStandardization.Apply(t), 2).mul(4))),
        new("kd reverse KL", "gkd", new { temperature = 2.0, beta = 1.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new SoftTargetLoss(2, 2, 1, false) { Divergence = SoftTargetDivergence.ReverseKl }.Loss(s, t, y)),
        new("kd generalized JSD 0.3", "gkd", new { temperature = 2.0, beta = 0.3 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new SoftTargetLoss(2, 2, 1, false) { Divergence = SoftTargetDivergence.Jsd, JsdBeta = 0.3 }.Loss(s, t, y)),
        new("dkd logit standardization", "dkd_ls", new { temperature = 2.0, alpha = 1.0, beta = 8.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new DecoupledLoss(2, 1, 8, 1) { Standardized = true }.Loss(s, t, y)),
        new("dist T1 no ce", "dist", new { temperature = 1.0, beta = 1.0, gamma = 1.0, ce = 0.0 }, [Batch, Classes], [Batch, Classes], (s, t, y) => new CorrelationLoss(1, 1, 1, 0).Loss(s, t, y)),
        new("wttm", "wttm", new { power = 0.2, weight = 4.0, ce = 1.0 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new TransformedTeacherLoss(0.2, 4, 1).Loss(s, t, y)),
        new("wttm power 0.5 logit standardization", "wttm_ls", new { power = 0.5, weight = 2.0, ce = 0.5 }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new TransformedTeacherLoss(0.5, 2, 0.5) { Standardized = true }.Loss(s, t, y)),
        new("mlkd", "mlkd", new { temperatures = new[] { 4.0, 3, 5, 2, 6 }, weight = 0.9, ce = 0.1, stand = false }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new MultiLevelLoss([4, 3, 5, 2, 6], 0.9, 0.1).Loss(s, t, y)),
        // Sun et al.'s MLKD runs: base temperature 2 (so 2 twice), KD weight 9, logit standardization.
        new("mlkd logit standardization", "mlkd", new { temperatures = new[] { 2.0, 3, 5, 2, 6 }, weight = 9.0, ce = 0.1, stand = true }, [Batch, Classes], [Batch, Classes],
            (s, t, y) => new MultiLevelLoss([2, 3, 5, 2, 6], 9, 0.1) { Standardized = true }.Loss(s, t, y)),
        new("rkd", "rkd", new { distance = 25.0, angle = 50.0 }, [Batch, 10], [Batch, 16], (s, t, _) => new RelationalTerm("embedding", 25, 50).Loss(s, t)),
        new("pkt", "pkt", new { }, [Batch, 10], [Batch, 16], (s, t, _) => new ProbabilisticTransferTerm("embedding").Loss(s, t)),
        new("sp maps", "sp", new { }, [Batch, 4, 3, 3], [Batch, 8, 3, 3], (s, t, _) => new SimilarityPreservingTerm("stage3").Loss(s, t)),
    ];

    /// <summary>The mean entropy of softmax(t / T) over the batch.</summary>
    private static Tensor TeacherEntropy(Tensor teacher, double temperature)
    {
        var logP = nn.functional.log_softmax(teacher.div(temperature), 1);
        return logP.exp().mul(logP).sum(1).neg().mean();
    }

    public sealed class Twins : IDisposable
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("distill-loss-twins-").FullName;

        public Dictionary<string, (double Loss, double[][] Gradients)> Results { get; } = [];

        /// <summary>What PyTorch's CRD remembered after its two batches: both memories, the two Z, the first batch's loss.</summary>
        public double[][] ContrastState { get; private set; } = [];

        /// <summary>The CRD case's memory, in the state PyTorch was given; its inputs are in <see cref="Inputs"/>["crd"].</summary>
        public ContrastMemory? Contrast { get; private set; }

        public Dictionary<string, Dictionary<string, Tensor>> Inputs { get; } = [];

        /// <summary>The FitNet cases' terms, each with the regressor whose weights PyTorch was given.</summary>
        public Dictionary<string, HintTerm> Hints { get; } = [];

        public Twins()
        {
            var cases = new List<object>();
            int seed = 1;
            foreach (var c in Cases)
            {
                var generator = new Generator((ulong)seed++);
                var tensors = new Dictionary<string, Tensor>
                {
                    ["student"] = randn(c.StudentShape, dtype: ScalarType.Float64, generator: generator).mul(2),
                    ["teacher"] = randn(c.TeacherShape, dtype: ScalarType.Float64, generator: generator).mul(2),
                    ["labels"] = randint(0, Classes, [Batch], generator: generator).to(ScalarType.Float64),
                };
                cases.Add(new { name = c.Name, loss = c.Loss, parameters = c.Parameters, tensors = Files(c.Name, tensors) });
                Inputs[c.Name] = tensors;
            }
            // AT: three stage maps per model, of one spatial size per stage, the channels differing.
            var at = new Generator(99);
            var maps = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (stage, size) in new[] { ("stage1", 8L), ("stage2", 4L), ("stage3", 2L) })
            {
                maps[$"s-{stage}"] = randn([Batch, 4, size, size], dtype: ScalarType.Float64, generator: at).abs();
                maps[$"t-{stage}"] = randn([Batch, 6, size, size], dtype: ScalarType.Float64, generator: at).abs();
            }
            Inputs["at"] = maps;
            cases.Add(new
            {
                name = "at", loss = "at", parameters = new { power = 2.0 }, tensors = Files("at", maps),
                maps = new { student = new[] { "s-stage1", "s-stage2", "s-stage3" }, teacher = new[] { "t-stage1", "t-stage2", "t-stage3" } },
            });

            // NST: three stage maps, the student's larger at the first (pooled to the teacher's), smaller at the last.
            var selectivity = new Generator(98);
            var nstMaps = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (stage, studentSize, teacherSize) in new[] { ("stage1", 8L, 4L), ("stage2", 4L, 4L), ("stage3", 2L, 4L) })
            {
                nstMaps[$"s-{stage}"] = randn([Batch, 4, studentSize, studentSize], dtype: ScalarType.Float64, generator: selectivity);
                nstMaps[$"t-{stage}"] = randn([Batch, 6, teacherSize, teacherSize], dtype: ScalarType.Float64, generator: selectivity);
            }
            Inputs["nst"] = nstMaps;
            cases.Add(new
            {
                name = "nst", loss = "nst", parameters = new { }, tensors = Files("nst", nstMaps),
                maps = new { student = new[] { "s-stage1", "s-stage2", "s-stage3" }, teacher = new[] { "t-stage1", "t-stage2", "t-stage3" } },
            });

            // FSP: the same channels at every point in both models; the teacher's maps larger, and each model's pooled
            // within its pairs (8x8 to 4x4 between stage1 and stage2 in the student).
            var flow = new Generator(97);
            var fspMaps = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (stage, channels, studentSize, teacherSize) in new[] { ("stem", 3L, 8L, 8L), ("stage1", 4L, 8L, 8L), ("stage2", 5L, 4L, 8L) })
            {
                fspMaps[$"s-{stage}"] = randn([Batch, channels, studentSize, studentSize], dtype: ScalarType.Float64, generator: flow);
                fspMaps[$"t-{stage}"] = randn([Batch, channels, teacherSize, teacherSize], dtype: ScalarType.Float64, generator: flow);
            }
            Inputs["fsp"] = fspMaps;
            cases.Add(new
            {
                name = "fsp", loss = "fsp", parameters = new { }, tensors = Files("fsp", fspMaps),
                maps = new { student = new[] { "s-stem", "s-stage1", "s-stage2" }, teacher = new[] { "t-stem", "t-stage1", "t-stage2" } },
            });

            // KDSVD: per level the same channels in both models, the sizes differing; the student's third level has fewer
            // positions than channels (2x2, 6), so its SVD has a null space.
            var singular = new Generator(96);
            var svdMaps = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (stage, channels, studentSize, teacherSize) in new[] { ("stage1", 3L, 8L, 8L), ("stage2", 4L, 4L, 8L), ("stage3", 6L, 2L, 4L) })
            {
                svdMaps[$"s-{stage}"] = randn([Batch, channels, studentSize, studentSize], dtype: ScalarType.Float64, generator: singular);
                svdMaps[$"t-{stage}"] = randn([Batch, channels, teacherSize, teacherSize], dtype: ScalarType.Float64, generator: singular);
            }
            Inputs["kdsvd"] = svdMaps;
            cases.Add(new
            {
                name = "kdsvd", loss = "kdsvd", parameters = new { k = 1 }, tensors = Files("kdsvd", svdMaps),
                maps = new { student = new[] { "s-stage1", "s-stage2", "s-stage3" }, teacher = new[] { "t-stage1", "t-stage2", "t-stage3" } },
            });

            // FitNet: the student's map regressed onto the teacher's, of the same size (1x1) and of half the size (3x3, stride 2).
            foreach (var (name, studentSize, teacherSize, stride, padding) in new[] { ("fitnet same size", 6L, 6L, 1, 0), ("fitnet halving", 8L, 4L, 2, 1) })
            {
                var generator = new Generator((ulong)seed++);
                var term = new HintTerm("stage2");
                term.Connect(new ConnectorContext(new Dictionary<string, long[]> { ["stage2"] = [4, studentSize, studentSize] }, new Dictionary<string, long[]> { ["stage2"] = [6, teacherSize, teacherSize] }, [], seed));
                term.Connector!.to(ScalarType.Float64);
                var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                var tensors = new Dictionary<string, Tensor>
                {
                    ["student"] = randn([Batch, 4, studentSize, studentSize], dtype: ScalarType.Float64, generator: generator),
                    ["teacher"] = randn([Batch, 6, teacherSize, teacherSize], dtype: ScalarType.Float64, generator: generator).abs(),
                    ["labels"] = zeros(Batch, dtype: ScalarType.Float64),
                    ["weight"] = parameters["conv.weight"].detach().clone(),
                    ["bias"] = parameters["conv.bias"].detach().clone(),
                };
                cases.Add(new { name, loss = "fitnet", parameters = new { stride, padding }, tensors = Files(name, tensors) });
                Inputs[name] = tensors;
                Hints[name] = term;
            }

            cases.Add(CongruenceCase(new Generator((ulong)seed++)));
            cases.Add(VariationalCase(new Generator((ulong)seed++)));
            cases.Add(ReviewCase(new Generator((ulong)seed++)));
            cases.Add(OverhaulCase(new Generator((ulong)seed++)));
            cases.Add(BoundaryCase(new Generator((ulong)seed++)));
            cases.AddRange(FactorTransferCases(new Generator((ulong)seed++)));
            cases.Add(ContrastCase());
            cases.Add(CurriculumTemperatureCase(new Generator((ulong)seed++)));

            var input = Path.Combine(_folder, "cases.json");
            var output = Path.Combine(_folder, "results.json");
            File.WriteAllText(input, JsonSerializer.Serialize(cases));
            File.WriteAllText(Path.Combine(_folder, "twins.py"), Script);
            RunPython(Path.Combine(_folder, "twins.py"), input, output);
            using var json = JsonDocument.Parse(File.ReadAllText(output));
            static double[][] Arrays(JsonElement e) => e.EnumerateArray().Select(g => g.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            foreach (var result in json.RootElement.EnumerateObject())
                Results[result.Name] = (result.Value.GetProperty("loss").GetDouble(), Arrays(result.Value.GetProperty("gradients")));
            ContrastState = Arrays(json.RootElement.GetProperty("crd").GetProperty("state"));
        }

        /// <summary>
        /// CRD: a memory of 40 examples of 4 classes in 6 dimensions, two batches of 12 (overlapping, so the second reads
        /// rows the first updated), 15 negatives each from <see cref="ContrastNegatives"/>.
        /// </summary>
        private object ContrastCase()
        {
            const int Examples = 40, Negatives = 15;
            manual_seed(17);
            Contrast = new ContrastMemory(10, 16, Examples, 6, 0.07, 0.5);
            Contrast.to(ScalarType.Float64);
            var negatives = new ContrastNegatives([.. Enumerable.Range(0, Examples).Select(i => (long)(i % 4))], Negatives, seed: 5);
            var parameters = Contrast.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var buffers = Contrast.named_buffers().ToDictionary(b => b.name, b => b.buffer);
            var generator = new Generator(23);
            var tensors = new Dictionary<string, Tensor>
            {
                ["labels"] = zeros(Batch, dtype: ScalarType.Float64),
                ["memory_student"] = buffers["memory_student"].clone(),
                ["memory_teacher"] = buffers["memory_teacher"].clone(),
                ["student.weight"] = parameters["embed_student.weight"].detach().clone(),
                ["student.bias"] = parameters["embed_student.bias"].detach().clone(),
                ["teacher.weight"] = parameters["embed_teacher.weight"].detach().clone(),
                ["teacher.bias"] = parameters["embed_teacher.bias"].detach().clone(),
            };
            foreach (var (step, first) in new[] { (1, 0L), (2, 6L) })
            {
                long[] examples = [.. Enumerable.Range((int)first, Batch).Select(i => (long)i)];
                tensors[$"student{step}"] = randn([Batch, 10], dtype: ScalarType.Float64, generator: generator);
                tensors[$"teacher{step}"] = randn([Batch, 16], dtype: ScalarType.Float64, generator: generator);
                tensors[$"examples{step}"] = tensor(examples).to(ScalarType.Float64);
                tensors[$"contrast{step}"] = tensor(negatives.Draw(examples, epoch: step), [Batch, Negatives + 1]).to(ScalarType.Float64);
            }
            Inputs["crd"] = tensors;
            return new { name = "crd", loss = "crd", parameters = new { temperature = 0.07, momentum = 0.5 }, tensors = Files("crd", tensors) };
        }

        /// <summary>VID's regressors, whose weights PyTorch is given.</summary>
        public VariationalInformationTerm? Variational { get; private set; }

        /// <summary>VID at two stages: the student's map larger than the teacher's at the first, smaller at the second.</summary>
        private object VariationalCase(Generator generator)
        {
            Variational = new VariationalInformationTerm(["stage1", "stage2"], 5);
            Variational.Connect(new ConnectorContext(
                new Dictionary<string, long[]> { ["stage1"] = [4, 8, 8], ["stage2"] = [4, 2, 2] },
                new Dictionary<string, long[]> { ["stage1"] = [6, 4, 4], ["stage2"] = [6, 4, 4] }, [], 4));
            Variational.Connector!.to(ScalarType.Float64);
            var tensors = Variational.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            // Variances away from their start, so that their gradient is not the symmetric one of identical channels.
            foreach (var log in tensors.Keys.Where(k => k.EndsWith("log_scale")).ToList())
                tensors[log] = tensors[log].add(rand(tensors[log].shape, dtype: ScalarType.Float64, generator: generator));
            tensors["labels"] = zeros(Batch, dtype: ScalarType.Float64);
            tensors["s-stage1"] = randn([Batch, 4, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage1"] = randn([Batch, 6, 4, 4], dtype: ScalarType.Float64, generator: generator);
            tensors["s-stage2"] = randn([Batch, 4, 2, 2], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage2"] = randn([Batch, 6, 4, 4], dtype: ScalarType.Float64, generator: generator);
            using (no_grad())
                foreach (var (name, parameter) in Variational.Connector!.named_parameters()) parameter.copy_(tensors[name]);
            Inputs["vid"] = tensors;
            return new
            {
                name = "vid", loss = "vid", parameters = new { }, tensors = Files("vid", tensors),
                maps = new { student = new[] { "s-stage1", "s-stage2" }, teacher = new[] { "t-stage1", "t-stage2" } },
            };
        }

        /// <summary>AB's connectors, whose weights PyTorch is given.</summary>
        public ActivationBoundaryTerm? Boundary { get; private set; }

        /// <summary>AB at three stages: a 1x1 connector (other channels), a strided one (the student's map twice the teacher's), none (equal maps).</summary>
        private object BoundaryCase(Generator generator)
        {
            long[][] student = [[3, 8, 8], [4, 8, 8], [5, 2, 2]], teacher = [[4, 8, 8], [6, 4, 4], [5, 2, 2]];
            string[] points = ["stage1-preact", "stage2-preact", "stage3-preact"];
            Boundary = new ActivationBoundaryTerm(["stage1", "stage2", "stage3"], margin: 1);
            Boundary.Connect(new ConnectorContext(points.Select((p, i) => (p, student[i])).ToDictionary(x => x.p, x => x.Item2),
                points.Select((p, i) => (p, teacher[i])).ToDictionary(x => x.p, x => x.Item2), [], 9));
            Boundary.Connector!.to(ScalarType.Float64);
            var tensors = Boundary.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            tensors["labels"] = zeros(Batch, dtype: ScalarType.Float64);
            for (int i = 0; i < points.Length; i++)
            {
                tensors[$"s-{points[i]}"] = randn([Batch, .. student[i]], dtype: ScalarType.Float64, generator: generator);
                tensors[$"t-{points[i]}"] = randn([Batch, .. teacher[i]], dtype: ScalarType.Float64, generator: generator);
            }
            Inputs["ab"] = tensors;
            return new
            {
                name = "ab", loss = "ab", parameters = new { margin = 1.0 }, tensors = Files("ab", tensors),
                maps = new { student = points.Select(p => $"s-{p}").ToArray(), teacher = points.Select(p => $"t-{p}").ToArray() },
            };
        }

        /// <summary>FT's paraphraser and translator, whose weights PyTorch is given.</summary>
        public FactorTransferTerm? Factor { get; private set; }

        /// <summary>
        /// FT at stage3, the student's map larger than the teacher's (its factor pooled down): the factor term, and the
        /// paraphraser's reconstruction its pre-training minimises, on the same tensors.
        /// </summary>
        private object[] FactorTransferCases(Generator generator)
        {
            Factor = new FactorTransferTerm("stage3", rate: 0.5, pretrainingEpochs: 30, pretrainingLearningRate: 0.01);
            Factor.Connect(new ConnectorContext(new Dictionary<string, long[]> { ["stage3"] = [3, 8, 8] },
                new Dictionary<string, long[]> { ["stage3"] = [4, 4, 4] }, [], 10));
            Factor.Connector!.to(ScalarType.Float64);
            var tensors = Factor.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            tensors["labels"] = zeros(Batch, dtype: ScalarType.Float64);
            tensors["s-stage3"] = randn([Batch, 3, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage3"] = randn([Batch, 4, 4, 4], dtype: ScalarType.Float64, generator: generator);
            Inputs["ft"] = tensors;
            var files = Files("ft", tensors);
            var maps = new { student = new[] { "s-stage3" }, teacher = new[] { "t-stage3" } };
            return
            [
                new { name = "ft", loss = "ft", parameters = new { rate = 0.5 }, tensors = files, maps },
                new { name = "ft paraphraser", loss = "ft_paraphraser", parameters = new { rate = 0.5 }, tensors = files, maps },
            ];
        }

        /// <summary>OFD's connectors, whose weights PyTorch is given.</summary>
        public OverhaulTerm? Overhaul { get; private set; }

        /// <summary>The teacher's batch norms OFD's margins come from.</summary>
        private readonly List<TorchSharp.Modules.BatchNorm2d> _teacherNorms = [];

        /// <summary>
        /// OFD at two stages: the teacher's second map larger than the student's (pooled down); its batch norms with biases
        /// from far below zero to far above, so both of the margin's branches (a tail under 0.1 %) are taken.
        /// </summary>
        private object OverhaulCase(Generator generator)
        {
            var tensors = new Dictionary<string, Tensor> { ["labels"] = zeros(Batch, dtype: ScalarType.Float64) };
            foreach (var (i, channels) in new[] { (0, 4L), (1, 6L) })
            {
                var norm = nn.BatchNorm2d(channels, dtype: ScalarType.Float64);
                using (no_grad())
                {
                    norm.weight!.copy_(randn([channels], dtype: ScalarType.Float64, generator: generator));
                    norm.bias!.copy_(linspace(-4, 4, channels, dtype: ScalarType.Float64));
                }
                _teacherNorms.Add(norm);
                tensors[$"bn{i}.weight"] = norm.weight!.detach().clone();
                tensors[$"bn{i}.bias"] = norm.bias!.detach().clone();
            }
            Overhaul = new OverhaulTerm(["stage1", "stage2"]);
            Overhaul.Connect(new ConnectorContext(
                new Dictionary<string, long[]> { ["stage1-preact"] = [3, 8, 8], ["stage2-preact"] = [4, 4, 4] },
                new Dictionary<string, long[]> { ["stage1-preact"] = [4, 8, 8], ["stage2-preact"] = [6, 8, 8] }, [], 8)
            {
                TeacherNorm = p => _teacherNorms[p == "stage1-preact" ? 0 : 1],
            });
            Overhaul.Connector!.to(ScalarType.Float64);
            foreach (var (name, parameter) in Overhaul.Connector!.named_parameters()) tensors[name] = parameter.detach().clone();
            tensors["s-stage1-preact"] = randn([Batch, 3, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["s-stage2-preact"] = randn([Batch, 4, 4, 4], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage1-preact"] = randn([Batch, 4, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage2-preact"] = randn([Batch, 6, 8, 8], dtype: ScalarType.Float64, generator: generator);
            Inputs["ofd"] = tensors;
            return new
            {
                name = "ofd", loss = "ofd", parameters = new { }, tensors = Files("ofd", tensors),
                maps = new { student = new[] { "s-stage1-preact", "s-stage2-preact" }, teacher = new[] { "t-stage1-preact", "t-stage2-preact" } },
            };
        }

        /// <summary>ReviewKD's fusions, whose weights PyTorch is given.</summary>
        public KnowledgeReviewTerm? Review { get; private set; }

        /// <summary>
        /// ReviewKD at two stages and the embedding: the student's first map the teacher's size, its second smaller (resized
        /// up to the teacher's), at epoch 5 of a 20-epoch warm-up.
        /// </summary>
        private object ReviewCase(Generator generator)
        {
            Review = new KnowledgeReviewTerm(["stage1", "stage2"], teacherPreActivation: true, warmupEpochs: 20);
            Review.Connect(new ConnectorContext(
                new Dictionary<string, long[]> { ["stage1"] = [3, 8, 8], ["stage2"] = [4, 2, 2], ["embedding"] = [5] },
                new Dictionary<string, long[]> { ["stage1-preact"] = [4, 8, 8], ["stage2-preact"] = [6, 4, 4], ["embedding"] = [7] }, [], 6));
            Review.Connector!.to(ScalarType.Float64);
            var tensors = Review.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
            tensors["labels"] = zeros(Batch, dtype: ScalarType.Float64);
            tensors["s-stage1"] = randn([Batch, 3, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["s-stage2"] = randn([Batch, 4, 2, 2], dtype: ScalarType.Float64, generator: generator);
            tensors["s-embedding"] = randn([Batch, 5], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage1-preact"] = randn([Batch, 4, 8, 8], dtype: ScalarType.Float64, generator: generator);
            tensors["t-stage2-preact"] = randn([Batch, 6, 4, 4], dtype: ScalarType.Float64, generator: generator);
            tensors["t-embedding"] = randn([Batch, 7], dtype: ScalarType.Float64, generator: generator);
            Inputs["reviewkd"] = tensors;
            return new
            {
                name = "reviewkd", loss = "reviewkd", parameters = new { epoch = 5, warmup = 20 }, tensors = Files("reviewkd", tensors),
                maps = new { student = new[] { "s-stage1", "s-stage2", "s-embedding" }, teacher = new[] { "t-stage1-preact", "t-stage2-preact", "t-embedding" } },
            };
        }

        /// <summary>CC's heads, whose weights PyTorch is given.</summary>
        public CorrelationCongruenceTerm? Congruence { get; private set; }

        /// <summary>CC: embeddings of 10 (student) and 16 (teacher) features, embedded into 6 dimensions.</summary>
        private object CongruenceCase(Generator generator)
        {
            Congruence = new CorrelationCongruenceTerm("embedding", 6);
            Congruence.Connect(new ConnectorContext(new Dictionary<string, long[]> { ["embedding"] = [10] }, new Dictionary<string, long[]> { ["embedding"] = [16] }, [], 3));
            Congruence.Connector!.to(ScalarType.Float64);
            var parameters = Congruence.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var tensors = new Dictionary<string, Tensor>
            {
                ["student"] = randn([Batch, 10], dtype: ScalarType.Float64, generator: generator),
                ["teacher"] = randn([Batch, 16], dtype: ScalarType.Float64, generator: generator),
                ["labels"] = zeros(Batch, dtype: ScalarType.Float64),
                ["student.weight"] = parameters["embed_student.weight"].detach().clone(),
                ["student.bias"] = parameters["embed_student.bias"].detach().clone(),
                ["teacher.weight"] = parameters["embed_teacher.weight"].detach().clone(),
                ["teacher.bias"] = parameters["embed_teacher.bias"].detach().clone(),
            };
            Inputs["cc"] = tensors;
            return new { name = "cc", loss = "cc", parameters = new { }, tensors = Files("cc", tensors) };
        }

        /// <summary>CTKD: its temperature's parameter at 0.3 (not its start, 1), the gradient reversed at -0.6.</summary>
        private object CurriculumTemperatureCase(Generator generator)
        {
            var tensors = new Dictionary<string, Tensor>
            {
                ["student"] = randn([Batch, Classes], dtype: ScalarType.Float64, generator: generator).mul(2),
                ["teacher"] = randn([Batch, Classes], dtype: ScalarType.Float64, generator: generator).mul(2),
                ["labels"] = randint(0, Classes, [Batch], generator: generator).to(ScalarType.Float64),
                ["theta"] = tensor(new[] { 0.3 }, ScalarType.Float64),
            };
            Inputs["ctkd"] = tensors;
            var parameters = new { t_start = 1.0, t_end = 20.0, lambda = -0.6, ce = 0.1, weight = 0.9 };
            return new { name = "ctkd", loss = "ctkd", parameters, tensors = Files("ctkd", tensors) };
        }

        private Dictionary<string, object> Files(string name, Dictionary<string, Tensor> tensors) =>
            tensors.ToDictionary(t => t.Key, t =>
            {
                var file = Path.Combine(_folder, $"{name.Replace(' ', '-')}-{t.Key}.bin");
                File.WriteAllBytes(file, t.Value.contiguous().bytes.ToArray());
                return (object)new { file, shape = t.Value.shape };
            });

        private static void RunPython(string script, string input, string output)
        {
            var outcome = ChildProcess.Run(Python, [script, input, output]);
            if (outcome.ExitCode != 0)
                throw new InvalidOperationException($"the PyTorch twins failed ({outcome.ExitCode}); they need Debian's python3-torch (tools/setup.sh --tests installs it):\n{outcome.Errors}");
        }

        public void Dispose()
        {
            foreach (var tensor in Inputs.Values.SelectMany(t => t.Values)) tensor.Dispose();
            foreach (var hint in Hints.Values) hint.Connector?.Dispose();
            Congruence?.Connector?.Dispose();
            Variational?.Connector?.Dispose();
            Review?.Connector?.Dispose();
            Overhaul?.Connector?.Dispose();
            Boundary?.Connector?.Dispose();
            Factor?.Connector?.Dispose();
            foreach (var norm in _teacherNorms) norm.Dispose();
            Contrast?.Dispose();
            Directory.Delete(_folder, recursive: true);
        }
    }

    private readonly Twins _twins;

    public PyTorchLossTwinTests(Twins twins) => _twins = twins;

    public static TheoryData<string> Names => [.. Cases.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_loss_and_its_gradient_match_the_published_code(string name)
    {
        var c = Cases.Single(x => x.Name == name);
        var inputs = _twins.Inputs[name];
        using var scope = NewDisposeScope();
        var student = inputs["student"].clone().requires_grad_();
        var loss = c.Ours(student, inputs["teacher"], inputs["labels"].to(ScalarType.Int64));
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose(name, gradients[0], student.grad!.data<double>().ToArray());
        Assert.True(student.grad!.abs().max().item<double>() > 1e-6, $"{name}: the gradient is zero, so the comparison shows nothing");
    }

    [Fact]
    public void Attention_transfer_over_three_stages_matches_the_published_code()
    {
        var inputs = _twins.Inputs["at"];
        using var scope = NewDisposeScope();
        string[] stages = ["stage1", "stage2", "stage3"];
        var students = stages.ToDictionary(s => s, s => inputs[$"s-{s}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        using var teacher = new ModelOutputs(zeros(Batch, Classes), stages.ToDictionary(s => s, s => inputs[$"t-{s}"]));
        var loss = new AttentionTransferTerm(stages, 2).Loss(student, teacher, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results["at"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"at: loss {loss.item<double>():R}, PyTorch {expected:R}");
        for (int i = 0; i < stages.Length; i++)
            AssertClose($"at {stages[i]}", gradients[i], students[stages[i]].grad!.data<double>().ToArray());
    }

    [Fact]
    public void Neuron_selectivity_transfer_over_three_stages_of_other_sizes_matches_the_published_code()
    {
        var inputs = _twins.Inputs["nst"];
        using var scope = NewDisposeScope();
        string[] stages = ["stage1", "stage2", "stage3"];
        var students = stages.ToDictionary(s => s, s => inputs[$"s-{s}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        using var teacher = new ModelOutputs(zeros(Batch, Classes), stages.ToDictionary(s => s, s => inputs[$"t-{s}"]));
        var loss = new NeuronSelectivityTerm(stages).Loss(student, teacher, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results["nst"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"nst: loss {loss.item<double>():R}, PyTorch {expected:R}");
        for (int i = 0; i < stages.Length; i++)
        {
            AssertClose($"nst {stages[i]}", gradients[i], students[stages[i]].grad!.data<double>().ToArray());
            Assert.True(students[stages[i]].grad!.abs().max().item<double>() > 1e-6, $"nst {stages[i]}: the gradient is zero, so the comparison shows nothing");
        }
    }

    [Fact]
    public void Flow_of_solution_over_two_pairs_matches_the_published_code() =>
        PointsMatchTheirTwin("fsp", new FlowOfSolutionTerm(["stem", "stage1", "stage2"]));

    [Fact]
    public void Kdsvd_over_three_levels_matches_the_published_code_with_the_teachers_vectors_signed()
    {
        // The third level is wider than it is long (2x2 positions, 6 channels): its gradient has a part outside the row space.
        PointsMatchTheirTwin("kdsvd", new SingularVectorTerm(["stage1", "stage2", "stage3"], vectors: 1));
    }

    [Fact]
    public void Kdsvd_of_rank_one_maps_compares_the_kernels_worked_out_by_hand()
    {
        using var scope = NewDisposeScope();
        // Two 2x2 maps of two channels per model, each the positions a = (1, 2, 3, 4) times a channel vector. The teacher's
        // vectors are (1, 0) then (0, 1); the student's (1, 0) then (1, 2)/sqrt(5), each its top singular vector.
        Tensor Map(double c0, double c1) => cat([tensor(new double[] { 1, 2, 3, 4 }).mul(c0), tensor(new double[] { 1, 2, 3, 4 }).mul(c1)]).reshape(1, 2, 2, 2);
        using var student = new ModelOutputs(zeros(1, Classes), new Dictionary<string, Tensor> { ["stage1"] = Map(1, 0), ["stage2"] = Map(1, 2) });
        using var teacher = new ModelOutputs(zeros(1, Classes), new Dictionary<string, Tensor> { ["stage1"] = Map(1, 0), ["stage2"] = Map(0, 1) });
        double Rbf(double a, double b) => Math.Exp(-(a - b) * (a - b) / 8);
        double[] s1 = [1, 0], s2 = [1 / Math.Sqrt(5), 2 / Math.Sqrt(5)], t1 = [1, 0], t2 = [0, 1];
        double expected = 0;
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                expected += Math.Pow(Rbf(s2[i], s1[j]) - Rbf(t2[i], t1[j]), 2);

        var loss = new SingularVectorTerm(["stage1", "stage2"], vectors: 1).Loss(student, teacher, null!);

        Assert.Equal(expected, loss.item<double>(), 10);
    }

    [Fact]
    public void Kdsvds_teacher_vectors_do_not_depend_on_the_sign_lapack_chose()
    {
        using var scope = NewDisposeScope();
        var map = randn([3, 4, 5, 5], dtype: ScalarType.Float64, generator: new Generator(5)).relu();
        // -X has the same right singular vectors up to sign: LAPACK may return either; the convention returns one.
        var (_, vectors) = SingularVectorTerm.TeacherVectors(map, 2);
        var (_, negated) = SingularVectorTerm.TeacherVectors(map.neg(), 2);
        AssertClose("teacher vectors of -X", vectors.data<double>().ToArray(), negated.data<double>().ToArray());
        // After a ReLU the top vector is the non-negative one.
        Assert.True(vectors.select(2, 0).min().item<double>() >= 0, "the top vector of a non-negative map has a negative entry");
    }

    [Fact]
    public void Kdsvd_gives_finite_gradients_where_dead_channels_repeat_a_zero_singular_value()
    {
        using var scope = NewDisposeScope();
        // Two dead channels of six: X^T X has 0 twice, where PyTorch's SVD backward divides by zero.
        var generator = new Generator(6);
        var alive = tensor(new double[] { 1, 1, 0, 1, 0, 1 }).reshape(1, 6, 1, 1);
        var first = randn([4, 6, 4, 4], dtype: ScalarType.Float64, generator: generator).mul(alive).requires_grad_();
        var second = randn([4, 6, 2, 2], dtype: ScalarType.Float64, generator: generator).requires_grad_();
        using var student = new ModelOutputs(zeros(4, Classes), new Dictionary<string, Tensor> { ["stage1"] = first, ["stage2"] = second });
        using var teacher = new ModelOutputs(zeros(4, Classes), new Dictionary<string, Tensor>
        {
            ["stage1"] = randn([4, 6, 4, 4], dtype: ScalarType.Float64, generator: generator),
            ["stage2"] = randn([4, 6, 2, 2], dtype: ScalarType.Float64, generator: generator),
        });
        var loss = new SingularVectorTerm(["stage1", "stage2"], vectors: 1).Loss(student, teacher, null!);
        loss.backward();

        Assert.True(double.IsFinite(loss.item<double>()));
        Assert.True(first.grad!.isfinite().all().item<bool>() && second.grad!.isfinite().all().item<bool>(), "a gradient is not finite");
        Assert.True(first.grad!.abs().max().item<double>() > 1e-9, "the dead channels' level has no gradient, so the check shows nothing");
    }

    /// <summary>A term without trainable parts on its twin's maps: its loss and the gradient of each student map match PyTorch's, none of them zero.</summary>
    private void PointsMatchTheirTwin(string name, IRepresentationTerm term)
    {
        var inputs = _twins.Inputs[name];
        using var scope = NewDisposeScope();
        var students = term.Points.ToDictionary(s => s, s => inputs[$"s-{s}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        using var teacher = new ModelOutputs(zeros(Batch, Classes), term.Points.ToDictionary(s => s, s => inputs[$"t-{s}"].clone()));
        var loss = term.Loss(student, teacher, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        for (int i = 0; i < term.Points.Count; i++)
        {
            var gradient = students[term.Points[i]].grad!;
            AssertClose($"{name} {term.Points[i]}", gradients[i], gradient.data<double>().ToArray());
            Assert.True(gradient.abs().max().item<double>() > 1e-6, $"{name} {term.Points[i]}: the gradient is zero, so the comparison shows nothing");
        }
    }

    [Theory]
    [InlineData("fitnet same size")]
    [InlineData("fitnet halving")]
    public void FitNets_hint_through_its_regressor_matches_the_published_code(string name)
    {
        var inputs = _twins.Inputs[name];
        var term = _twins.Hints[name];
        using var scope = NewDisposeScope();
        var weight = term.Connector!.named_parameters().Single(p => p.name == "conv.weight").parameter;
        weight.grad?.zero_();
        var student = inputs["student"].clone().requires_grad_();
        using var studentOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["stage2"] = student });
        using var teacherOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["stage2"] = inputs["teacher"] });
        var loss = term.Loss(studentOutputs, teacherOutputs, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose($"{name} student", gradients[0], student.grad!.data<double>().ToArray());
        AssertClose($"{name} regressor", gradients[1], weight.grad!.data<double>().ToArray());
        Assert.True(weight.grad!.abs().max().item<double>() > 1e-6, $"{name}: the regressor's gradient is zero, so the comparison shows nothing");
    }

    [Fact]
    public void Variational_information_through_its_regressors_and_variances_matches_the_published_code()
    {
        var inputs = _twins.Inputs["vid"];
        var term = _twins.Variational!;
        using var scope = NewDisposeScope();
        var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        string[] stages = ["stage1", "stage2"];
        var students = stages.ToDictionary(s => s, s => inputs[$"s-{s}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        using var teacher = new ModelOutputs(zeros(Batch, Classes), stages.ToDictionary(s => s, s => inputs[$"t-{s}"]));
        var loss = term.Loss(student, teacher, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results["vid"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"vid: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose("vid stage1", gradients[0], students["stage1"].grad!.data<double>().ToArray());
        AssertClose("vid stage2", gradients[1], students["stage2"].grad!.data<double>().ToArray());
        AssertClose("vid regressor", gradients[2], parameters["points.0.conv1.weight"].grad!.data<double>().ToArray());
        AssertClose("vid variance", gradients[3], parameters["points.0.log_scale"].grad!.data<double>().ToArray());
        Assert.True(parameters["points.0.log_scale"].grad!.abs().max().item<double>() > 1e-6, "vid: the variance's gradient is zero, so the comparison shows nothing");
        // The variance's start is theirs: log(exp(5 - 1e-5) - 1) in every channel.
        using var start = new VariationalRegressor(4, 6, 5);
        AssertClose("vid initial variance", gradients[4], start.named_parameters().Single(p => p.name == "log_scale").parameter.to(ScalarType.Float64).data<double>().ToArray());
    }

    [Fact]
    public void Knowledge_review_through_its_fusions_matches_the_published_code()
    {
        using var scope = NewDisposeScope();
        var (connector, parameters) = MapsMatchTheirTwin("reviewkd", _twins.Review!, new TrainingBatch(zeros(Batch), zeros(Batch), [], Epoch: 5));
        AssertClose("reviewkd fusion", connector[0], parameters["levels.0.conv1.weight"].grad!.data<double>().ToArray());
        AssertClose("reviewkd attention", connector[1], parameters["levels.0.attention.weight"].grad!.data<double>().ToArray());
    }

    [Fact]
    public void Overhaul_through_its_connectors_and_the_teachers_margins_matches_the_published_code()
    {
        using var scope = NewDisposeScope();
        var (connector, parameters) = MapsMatchTheirTwin("ofd", _twins.Overhaul!, null!);
        AssertClose("ofd connector", connector[0], parameters["stages.0.conv.weight"].grad!.data<double>().ToArray());
    }

    [Fact]
    public void Activation_boundaries_through_their_connectors_match_the_published_code()
    {
        using var scope = NewDisposeScope();
        var (connector, parameters) = MapsMatchTheirTwin("ab", _twins.Boundary!, null!);
        AssertClose("ab connector", connector[0], parameters["stages.0.conv.weight"].grad!.data<double>().ToArray());
        Assert.DoesNotContain(parameters.Keys, k => k.StartsWith("stages.2.", StringComparison.Ordinal)); // equal maps: no connector
    }

    /// <summary>
    /// A term with trainable parts on its twin's maps (the student's "s-point", the teacher's "t-point"): its loss and the
    /// gradient of each student map match PyTorch's, and none of those gradients is zero. Returns PyTorch's gradients
    /// of the term's own parameters (after the maps') and the term's parameters, whose gradients the caller compares.
    /// </summary>
    private (double[][] Connector, Dictionary<string, TorchSharp.Modules.Parameter> Parameters) MapsMatchTheirTwin(
        string name, IRepresentationTerm term, TrainingBatch batch)
    {
        var inputs = _twins.Inputs[name];
        var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var students = term.Points.ToDictionary(p => p, p => inputs[$"s-{p}"].clone().requires_grad_());
        using var student = new ModelOutputs(zeros(Batch, Classes), students);
        // Clones: the outputs dispose their maps, and a case's inputs may serve more than one test.
        using var teacher = new ModelOutputs(zeros(Batch, Classes), term.TeacherPoints.ToDictionary(p => p, p => inputs[$"t-{p}"].clone()));
        var loss = term.Loss(student, teacher, batch);
        loss.backward();

        var (expected, gradients) = _twins.Results[name];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"{name}: loss {loss.item<double>():R}, PyTorch {expected:R}");
        for (int i = 0; i < term.Points.Count; i++)
        {
            var gradient = students[term.Points[i]].grad!;
            AssertClose($"{name} {term.Points[i]}", gradients[i], gradient.data<double>().ToArray());
            Assert.True(gradient.abs().max().item<double>() > 1e-6, $"{name} {term.Points[i]}: the gradient is zero, so the comparison shows nothing");
        }
        return (gradients[term.Points.Count..], parameters);
    }

    [Fact]
    public void Factor_transfer_through_its_translator_and_frozen_paraphraser_matches_the_published_code()
    {
        using var scope = NewDisposeScope();
        var term = _twins.Factor!;
        foreach (var parameter in term.Connector!.parameters()) parameter.grad = null;
        var (connector, parameters) = MapsMatchTheirTwin("ft", term, null!);
        AssertClose("ft translator", connector[0], parameters["translator.conv1.weight"].grad!.data<double>().ToArray());
        // The student's phase leaves the paraphraser as its pre-training left it: no gradient reaches it.
        Assert.All(parameters.Where(p => p.Key.StartsWith("paraphraser.", StringComparison.Ordinal)), p => Assert.Null(p.Value.grad));
    }

    [Fact]
    public void Factor_transfers_paraphraser_reconstruction_matches_the_published_init_stage()
    {
        using var scope = NewDisposeScope();
        var term = _twins.Factor!;
        IConnectorPretraining part = term;
        var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var parameter in parameters.Values) parameter.grad = null;
        using var teacher = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["stage3"] = _twins.Inputs["ft"]["t-stage3"].clone() });
        var loss = part.Loss(teacher);
        loss.backward();

        var (expected, gradients) = _twins.Results["ft paraphraser"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"ft paraphraser: loss {loss.item<double>():R}, PyTorch {expected:R}");
        // The transposed convolution's gradient, in ConvTranspose2d's layout, and the encoder's first convolution's.
        AssertClose("ft decoder", gradients[0], parameters["paraphraser.decoder1.weight"].grad!.data<double>().ToArray());
        AssertClose("ft encoder", gradients[1], parameters["paraphraser.encoder1.weight"].grad!.data<double>().ToArray());
        Assert.True(parameters["paraphraser.decoder1.weight"].grad!.abs().max().item<double>() > 1e-6, "ft: the decoder's gradient is zero, so the comparison shows nothing");
        Assert.Equal(part.Parameters.Count(), parameters.Keys.Count(k => k.StartsWith("paraphraser.", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_factor_is_the_normalised_channel_mean_of_the_squared_map_whatever_its_scale()
    {
        using var scope = NewDisposeScope();
        // Channels [3, 0] and [3, 4] at two positions: means of squares 9 and 8, divided by sqrt(145).
        var map = tensor(new double[] { 3, 0, 3, 4 }, [1, 2, 1, 2]);
        AssertClose("factor", [9 / Math.Sqrt(145), 8 / Math.Sqrt(145)], FactorTransferTerm.Factor(map).data<double>().ToArray());
        AssertClose("factor of twice the map", [9 / Math.Sqrt(145), 8 / Math.Sqrt(145)], FactorTransferTerm.Factor(map.mul(2)).data<double>().ToArray());
    }

    [Fact]
    public void Abs_distance_is_zero_on_the_teachers_side_of_the_margin_and_the_squared_shortfall_otherwise()
    {
        using var scope = NewDisposeScope();
        double Distance(double s, double t) => ActivationBoundaryTerm.AlternativeL2(
            full([1], s, dtype: ScalarType.Float64), full([1], t, dtype: ScalarType.Float64), 1).item<double>();
        Assert.Equal(0, Distance(-1.5, -0.2), 12); // teacher off, student past -margin
        Assert.Equal(0.25, Distance(-0.5, -0.2), 12); // teacher off, student short of -margin by 0.5
        Assert.Equal(0, Distance(1.5, 0.3), 12);    // teacher on, student past margin
        Assert.Equal(2.25, Distance(-0.5, 0.3), 12); // teacher on, student 1.5 short of margin
    }

    [Fact]
    public void Ofds_partial_distance_spares_a_student_below_the_margin_and_pulls_one_above_it_to_the_margin()
    {
        using var scope = NewDisposeScope();
        Tensor Distance(double s, double t) => OverhaulTerm.PartialDistance(
            full([1, 1, 1, 1], s, dtype: ScalarType.Float64), full([1, 1, 1, 1], t, dtype: ScalarType.Float64), full([1, 1, 1, 1], -0.5, dtype: ScalarType.Float64));
        Assert.Equal(0, Distance(-1, -2).item<double>(), 12);      // both below the margin: nothing to learn
        Assert.Equal(6.25, Distance(2, -1).item<double>(), 12);    // teacher below the margin, student above: (2 + 0.5)^2
        Assert.Equal(0.09, Distance(-0.1, -0.4).item<double>(), 12); // above a negative teacher over the margin: (0.3)^2
        Assert.Equal(0, Distance(-0.45, -0.4).item<double>(), 12);  // below such a teacher: no penalty
        Assert.Equal(0.25, Distance(1, 0.5).item<double>(), 12);   // a positive teacher: plain L2
        // A margin is E[x | x < 0] of N(bias, weight^2): for N(0, 1) that is -sqrt(2 / pi).
        using var norm = nn.BatchNorm2d(1);
        using (no_grad()) { norm.weight!.fill_(1); norm.bias!.fill_(0); }
        Assert.Equal(-Math.Sqrt(2 / Math.PI), OverhaulTerm.Margin(norm).item<double>(), 12);
    }

    [Fact]
    public void Knowledge_reviews_context_loss_of_equal_maps_is_zero_and_of_a_constant_offset_its_square()
    {
        using var scope = NewDisposeScope();
        var map = randn([2, 3, 8, 8], dtype: ScalarType.Float64, generator: new Generator(3));
        Assert.Equal(0, KnowledgeReviewTerm.HierarchicalContext(map, map).item<double>(), 12);
        // An offset of 0.5 everywhere survives every pooling: each level's mean squared error is 0.25, and so is their weighted mean.
        Assert.Equal(0.25, KnowledgeReviewTerm.HierarchicalContext(map.add(0.5), map).item<double>(), 12);
    }

    [Fact]
    public void Correlation_congruence_through_both_heads_matches_the_published_code()
    {
        var inputs = _twins.Inputs["cc"];
        var term = _twins.Congruence!;
        using var scope = NewDisposeScope();
        var parameters = term.Connector!.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var student = inputs["student"].clone().requires_grad_();
        using var studentOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["embedding"] = student });
        using var teacherOutputs = new ModelOutputs(zeros(Batch, Classes), new Dictionary<string, Tensor> { ["embedding"] = inputs["teacher"] });
        var loss = term.Loss(studentOutputs, teacherOutputs, null!);
        loss.backward();

        var (expected, gradients) = _twins.Results["cc"];
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"cc: loss {loss.item<double>():R}, PyTorch {expected:R}");
        AssertClose("cc student", gradients[0], student.grad!.data<double>().ToArray());
        AssertClose("cc student head", gradients[1], parameters["embed_student.weight"].grad!.data<double>().ToArray());
        AssertClose("cc teacher head", gradients[2], parameters["embed_teacher.weight"].grad!.data<double>().ToArray());
        Assert.True(parameters["embed_teacher.weight"].grad!.abs().max().item<double>() > 1e-6, "cc: the teacher head's gradient is zero, so the comparison shows nothing");
    }

    [Fact]
    public void Ctkd_with_its_learned_temperature_and_reversed_gradient_matches_the_published_code()
    {
        var inputs = _twins.Inputs["ctkd"];
        var loss = new CurriculumTemperatureLoss(new CurriculumTemperature(Minimum: 1, Range: 20), 0.9, 0.1);
        loss.Connect(new ConnectorContext(new Dictionary<string, long[]>(), new Dictionary<string, long[]>(), [], 0));
        using var connector = loss.Connector!.to(ScalarType.Float64);
        var theta = connector.parameters().Single();
        using (no_grad()) theta.copy_(inputs["theta"]);
        using var scope = NewDisposeScope();
        var student = inputs["student"].clone().requires_grad_();
        var value = loss.Loss(student, inputs["teacher"], inputs["labels"].to(ScalarType.Int64), reversal: -0.6);
        value.backward();

        var (expected, gradients) = _twins.Results["ctkd"];
        Assert.True(Math.Abs(value.item<double>() - expected) <= 1e-6, $"ctkd: loss {value.item<double>():R}, PyTorch {expected:R}");
        AssertClose("ctkd student", gradients[0], student.grad!.data<double>().ToArray());
        AssertClose("ctkd temperature", gradients[1], theta.grad!.data<double>().ToArray());
        Assert.True(theta.grad!.abs().max().item<double>() > 1e-6, "ctkd: the temperature's gradient is zero, so the comparison shows nothing");
    }

    [Fact]
    public void Contrastive_distillation_over_two_batches_matches_the_published_code()
    {
        var inputs = _twins.Inputs["crd"];
        var memory = _twins.Contrast!;
        using var scope = NewDisposeScope();
        Tensor Step(int step, Tensor student) =>
            memory.Loss(student, inputs[$"teacher{step}"], inputs[$"examples{step}"].to(ScalarType.Int64), inputs[$"contrast{step}"].to(ScalarType.Int64));
        double first = Step(1, inputs["student1"]).item<double>();
        var student = inputs["student2"].clone().requires_grad_();
        var loss = Step(2, student);
        loss.backward();

        var (expected, gradients) = _twins.Results["crd"];
        var state = _twins.ContrastState;
        Assert.True(Math.Abs(first - state[3][0]) <= 1e-6, $"crd first batch: loss {first:R}, PyTorch {state[3][0]:R}");
        Assert.True(Math.Abs(loss.item<double>() - expected) <= 1e-6, $"crd: loss {loss.item<double>():R}, PyTorch {expected:R}");
        var parameters = memory.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        AssertClose("crd student", gradients[0], student.grad!.data<double>().ToArray());
        AssertClose("crd student head", gradients[1], parameters["embed_student.weight"].grad!.data<double>().ToArray());
        AssertClose("crd teacher head", gradients[2], parameters["embed_teacher.weight"].grad!.data<double>().ToArray());
        Assert.True(parameters["embed_teacher.weight"].grad!.abs().max().item<double>() > 1e-6, "crd: the teacher head's gradient is zero, so the comparison shows nothing");

        var buffers = memory.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        AssertClose("crd student memory", state[0], buffers["memory_student"].data<double>().ToArray());
        AssertClose("crd teacher memory", state[1], buffers["memory_teacher"].data<double>().ToArray());
        var normalisers = buffers["normalisers"].data<double>().ToArray();
        for (int i = 0; i < 2; i++) // Z = mean(exp(score / 0.07)) x N is large: compared relatively
            Assert.True(Math.Abs(normalisers[i] / state[2][i] - 1) <= 1e-9, $"crd: Z {normalisers[i]:R}, PyTorch {state[2][i]:R}");
        Assert.False(TensorAssert.Identical(buffers["memory_student"], inputs["memory_student"]), "crd: the memory never moved");
    }

    private static void AssertClose(string name, double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-6, $"{name}: gradients differ from PyTorch's by up to {worst:G3}");
    }
}

package toycxr

import (
	"math"
	"math/rand/v2"

	"github.com/mrgkit/mrgkit/mrgkit/chexpert"
)

// Densities (brightness before exposure): air is dark, bone and metal bright.
const (
	dAir     = 0.03
	dSoft    = 0.40
	dAbdomen = 0.52
	dLung    = 0.13
	dMedi    = 0.58
	dHeart   = 0.60
	dFluid   = 0.50
	dDense   = 0.56
	dMetal   = 0.98
)

// anatomy holds one patient's frontal geometry (unit coordinates).
type anatomy struct {
	lungCx, lungCy                               [2]float64 // per side (right = image left)
	lungRx, lungRy                               [2]float64
	domeBase                                     [2]float64 // diaphragm height at the lateral lung edge
	domeH                                        [2]float64 // dome rise
	heartCx, heartCy, heartRx, heartRy, heartRot float64
	mediW, mediTop, mediBottom                   float64
	hilum                                        [2][2]float64
}

func newAnatomy(rng *rand.Rand, s *study, sizeF float64) *anatomy {
	j := func(x float64) float64 { return (rng.Float64()*2 - 1) * x }
	a := &anatomy{}
	w := 0.165 + j(0.012)
	h := 0.35 + j(0.02)
	for side := range 2 {
		sign := -1.0
		if side == left {
			sign = 1
		}
		a.lungCx[side] = 0.5 + sign*(0.185+j(0.01))
		a.lungCy[side] = 0.47 + j(0.01)
		a.lungRx[side] = w + j(0.005)
		a.lungRy[side] = h + j(0.01)
		a.domeBase[side] = 0.76 + j(0.015)
		a.domeH[side] = 0.07 + j(0.015)
		a.hilum[side] = [2]float64{0.5 + sign*0.11, 0.45 + j(0.01)}
	}
	a.domeBase[left] += 0.015 // the left hemidiaphragm sits lower
	a.heartCx, a.heartCy = 0.54+j(0.01), 0.64+j(0.01)
	a.heartRx, a.heartRy, a.heartRot = 0.15+j(0.01), 0.11+j(0.006), -15+j(4)
	if ok, str := s.f[chexpert.Cardiomegaly].drawn(); ok {
		f := 1 + str*(0.3+0.1*float64(s.f[chexpert.Cardiomegaly].severity))*sizeF
		a.heartRx *= f
		a.heartRy *= 1 + (f-1)*0.6
		a.heartCx += 0.025 * str
	}
	a.mediW = 0.055 + j(0.005)
	a.mediTop, a.mediBottom = 0.08, 0.6
	return a
}

// dome is the diaphragm's height at u for one side.
func (a *anatomy) dome(side int, u float64) float64 {
	x := (u - a.lungCx[side]) / a.lungRx[side] // -1..1 across the lung
	if side == left {
		x = -x
	}
	// Peak towards the medial side, lowest at the lateral costophrenic angle.
	t := clamp01(1 - (x-0.3)*(x-0.3)/1.7)
	return a.domeBase[side] - a.domeH[side]*t
}

// lung returns the coverage of one lung field at (u, v).
func (a *anatomy) lung(c *canvas, side int, u, v float64) float64 {
	sd := ellipseSD(u, v, a.lungCx[side], a.lungCy[side], a.lungRx[side], a.lungRy[side], 0)
	sd = max(sd, v-a.dome(side, u))
	return c.cover(sd)
}

// lungs is both lungs' coverage.
func (a *anatomy) lungs(c *canvas, u, v float64) float64 {
	return max(a.lung(c, right, u, v), a.lung(c, left, u, v))
}

// zonePoint returns a point inside a lung zone; (fu, fv) in [0,1] spread it.
func (a *anatomy) zonePoint(side, zone int, fu, fv float64) (float64, float64) {
	top := a.lungCy[side] - a.lungRy[side]
	bottom := a.domeBase[side] - a.domeH[side]*0.6
	hgt := bottom - top
	v := top + hgt*(0.18+0.3*float64(zone)+0.16*(fv-0.5))
	sign := 1.0
	if side == left {
		sign = -1
	}
	// Lateral-medial spread; middle-zone findings sit nearer the heart.
	off := (fu - 0.5) * 0.5
	if zone == middle {
		off = 0.15 + fu*0.25
	}
	if zone == upper {
		off *= 0.6
	}
	u := a.lungCx[side] + sign*off*a.lungRx[side]
	return u, v
}

// renderFrontal draws a PA chest radiograph of the study.
func renderFrontal(n int, rng *rand.Rand, s *study, d float64) []float64 {
	j := func(x float64) float64 { return (rng.Float64()*2 - 1) * x }
	strengthF := 1.15 - 0.75*d
	sizeF := 1.1 - 0.5*d
	pos := 0.6 + 0.8*d
	c := newCanvas(n, j(3*pos), 1+j(0.04*pos), j(0.03*pos), j(0.03*pos))
	a := newAnatomy(rng, s, sizeF)
	for i := range c.pix {
		c.pix[i] = dAir
	}
	// Body and shoulders.
	c.ellipse(0.5, 0.62, 0.47+j(0.02), 0.6, 0, dSoft, 1)
	c.ellipse(0.5, 0.08, 0.5, 0.12, 0, dSoft, 1)
	// Abdomen below the diaphragm.
	c.paint(0, 0.5, 1, 1.05, func(u, v float64) float64 {
		side := right
		if u > 0.5 {
			side = left
		}
		return c.cover(a.dome(side, u)-v) * c.cover(ellipseSD(u, v, 0.5, 0.62, 0.45, 0.6, 0))
	}, blend(dAbdomen, 1))
	// Gastric bubble under the left hemidiaphragm.
	if rng.Float64() < 0.7 {
		c.ellipse(a.lungCx[left]+0.02, a.domeBase[left]-a.domeH[left]+0.06, 0.035, 0.02, 0, 0.22, 0.8)
	}
	// Lung fields.
	c.paint(0.05, 0.05, 0.95, 0.9, func(u, v float64) float64 { return a.lungs(c, u, v) }, blend(dLung, 1))
	// Vascular markings fanning out from the hila.
	lungMask := func(u, v float64) float64 { return a.lungs(c, u, v) }
	for side := range 2 {
		sign := -1.0
		if side == left {
			sign = 1
		}
		h := a.hilum[side]
		for k := range 9 {
			ang := (-70 + 140*float64(k)/8 + j(8)) * math.Pi / 180
			l := 0.1 + rng.Float64()*0.08
			p1 := [2]float64{h[0] + sign*math.Cos(ang)*l*0.5, h[1] + math.Sin(ang)*l*0.5}
			p2 := [2]float64{h[0] + sign*math.Cos(ang)*l, h[1] + math.Sin(ang)*l}
			c.lineAdd([][2]float64{h, p1}, 0.006, 0.07, lungMask)
			c.lineAdd([][2]float64{p1, p2}, 0.003, 0.05, lungMask)
		}
		// Hilar shadow.
		c.paint(h[0]-0.06, h[1]-0.07, h[0]+0.06, h[1]+0.07, func(u, v float64) float64 {
			return gauss(u, v, h[0], h[1], 0.025, 0.035) * lungMask(u, v)
		}, add(0.12))
	}
	ribs := drawRibs(c, rng, a)
	// Clavicles.
	for _, sign := range []float64{-1, 1} {
		c.line(bezier([2]float64{0.5 + sign*0.04, 0.17}, [2]float64{0.5 + sign*0.18, 0.08}, [2]float64{0.5 + sign*0.34, 0.11}, 8), 0.011, 0.7, 0.55)
	}
	// Spine: vertebral bodies along the midline.
	for k := range 14 {
		v := 0.04 + float64(k)*0.068
		c.paint(0.45, v-0.04, 0.55, v+0.04, func(u, vv float64) float64 {
			return c.cover(max(math.Abs(u-0.5)-0.032, math.Abs(vv-v)-0.026))
		}, add(0.07))
	}
	// Mediastinum (widened when Enlarged Cardiomediastinum is drawn).
	mw := a.mediW
	if ok, str := s.f[chexpert.EnlargedCardiomediastinum].drawn(); ok {
		mw *= 1 + 0.75*str*sizeF
	}
	c.paint(0.5-3*mw, a.mediTop-0.02, 0.5+3*mw, a.mediBottom+0.02, func(u, v float64) float64 {
		w := mw * (0.8 + 0.4*(v-a.mediTop)/(a.mediBottom-a.mediTop))
		return c.cover(max(math.Abs(u-0.5-0.005)-w, max(a.mediTop-v, v-a.mediBottom)))
	}, blend(dMedi, 1))
	c.ellipse(0.5+mw+0.005, 0.3, 0.028, 0.025, 0, dMedi, 1) // aortic knob
	// Trachea and main bronchi.
	c.line([][2]float64{{0.5, 0}, {0.5, 0.33}}, 0.014, 0.27, 0.8)
	c.line([][2]float64{{0.5, 0.33}, {0.44, 0.4}}, 0.008, 0.27, 0.6)
	c.line([][2]float64{{0.5, 0.33}, {0.57, 0.41}}, 0.008, 0.27, 0.6)
	// Heart.
	c.ellipse(a.heartCx, a.heartCy, a.heartRx, a.heartRy, a.heartRot, dHeart, 1)

	drawFrontalFindings(c, rng, s, a, ribs, strengthF, sizeF)
	return finish(c, rng, d)
}

// drawRibs draws the posterior ribs and returns their centre lines.
func drawRibs(c *canvas, rng *rand.Rand, a *anatomy) [2][][][2]float64 {
	var ribs [2][][][2]float64
	for side := range 2 {
		sign := -1.0
		if side == left {
			sign = 1
		}
		lat := a.lungCx[side] + sign*a.lungRx[side]*1.08
		for k := range 9 {
			v := a.lungCy[side] - a.lungRy[side]*0.85 + float64(k)*0.068
			p0 := [2]float64{0.5 + sign*0.04, v}
			p1 := [2]float64{0.5 + sign*0.17, v - 0.05}
			p2 := [2]float64{lat, v + 0.07 + 0.01*float64(k)}
			pts := bezier(p0, p1, p2, 10)
			ribs[side] = append(ribs[side], pts)
			c.curveAdd(pts, 0.0085, 0.075)
		}
	}
	return ribs
}

func drawFrontalFindings(c *canvas, rng *rand.Rand, s *study, a *anatomy, ribs [2][][][2]float64, strengthF, sizeF float64) {
	j := func(x float64) float64 { return (rng.Float64()*2 - 1) * x }
	sidesOf := func(side int) []int {
		if side == both {
			return []int{right, left}
		}
		return []int{side}
	}
	// Pleural effusion: fluid fills the lung base with a meniscus rising
	// laterally, blunting the costophrenic angle.
	if ok, str := s.f[chexpert.PleuralEffusion].drawn(); ok {
		f := s.f[chexpert.PleuralEffusion]
		for _, side := range sidesOf(f.side) {
			hgt := (0.1 + 0.06*float64(f.severity)) * sizeF
			if f.side == both {
				hgt *= 0.8
			}
			base := a.domeBase[side] - a.domeH[side]
			sign := -1.0
			if side == left {
				sign = 1
			}
			c.paint(a.lungCx[side]-a.lungRx[side]-0.02, base-hgt-0.1, a.lungCx[side]+a.lungRx[side]+0.02, a.domeBase[side]+0.02, func(u, v float64) float64 {
				lat := clamp01(sign * (u - a.lungCx[side]) / a.lungRx[side]) // 0 medial .. 1 lateral
				top := base - hgt*(0.7+0.6*lat*lat) + 0.02
				return c.cover(top-v) * a.lung(c, side, u, v)
			}, blend(dFluid, min(1, str*strengthF)))
		}
	}
	// Consolidation: a dense lobar region with air bronchograms.
	if ok, str := s.f[chexpert.Consolidation].drawn(); ok {
		f := s.f[chexpert.Consolidation]
		cu, cv := a.zonePoint(f.side, f.zone, 0.5, 0.5)
		r := (0.09 + 0.025*float64(f.severity)) * sizeF
		type blob struct{ u, v, s float64 }
		var blobs []blob
		for range 5 {
			blobs = append(blobs, blob{cu + j(r*0.6), cv + j(r*0.5), r * (0.45 + 0.25*rng.Float64())})
		}
		side := f.side
		c.paint(cu-2*r, cv-2*r, cu+2*r, cv+2*r, func(u, v float64) float64 {
			sum := 0.0
			for _, b := range blobs {
				sum += gauss(u, v, b.u, b.v, b.s, b.s)
			}
			return clamp01((sum-0.35)/0.35) * a.lung(c, side, u, v)
		}, blend(dDense, min(1, 1.05*str*strengthF)))
		for k := range 2 {
			p0 := [2]float64{cu + j(r*0.3), cv + j(r*0.3)}
			c.lineAdd([][2]float64{p0, {p0[0] + j(r*0.7), p0[1] + r*0.6 + 0.02*float64(k)}}, 0.004, -0.12*str, nil)
		}
	}
	// Lung opacity: patchy ill-defined blobs in one zone, hazier than a
	// consolidation (markings still show through).
	if ok, str := s.f[chexpert.LungOpacity].drawn(); ok {
		f := s.f[chexpert.LungOpacity]
		cu, cv := a.zonePoint(f.side, f.zone, f.u, f.v)
		n := 5 + rng.IntN(3)
		type blob struct{ u, v, s float64 }
		blobs := make([]blob, n)
		for k := range blobs {
			blobs[k] = blob{cu + j(0.06*sizeF), cv + j(0.05*sizeF), (0.03 + 0.018*rng.Float64()) * sizeF}
		}
		side := f.side
		c.paint(cu-0.2, cv-0.2, cu+0.2, cv+0.2, func(u, v float64) float64 {
			sum := 0.0
			for _, b := range blobs {
				sum += gauss(u, v, b.u, b.v, b.s, b.s)
			}
			return clamp01(sum) * a.lung(c, side, u, v)
		}, blend(0.52, min(1, str*strengthF)))
	}
	// Edema: bilateral perihilar haze (batwing) and Kerley lines.
	if ok, str := s.f[chexpert.Edema].drawn(); ok {
		for side := range 2 {
			h := a.hilum[side]
			sign := -1.0
			if side == left {
				sign = 1
			}
			hu := h[0] + sign*0.03
			c.paint(hu-0.25, h[1]-0.3, hu+0.25, h[1]+0.3, func(u, v float64) float64 {
				return gauss(u, v, hu, h[1]+0.02, 0.085*sizeF+0.02, 0.13*sizeF+0.02) * a.lung(c, side, u, v)
			}, add(0.22*str*strengthF))
			lat := a.lungCx[side] + sign*a.lungRx[side]*0.9
			for k := range 4 {
				v := a.domeBase[side] - a.domeH[side] - 0.02 - 0.022*float64(k)
				c.lineAdd([][2]float64{{lat, v}, {lat - sign*0.04, v}}, 0.0025, 0.14*str*strengthF, func(u, v float64) float64 { return a.lung(c, side, u, v) })
			}
		}
	}
	// Atelectasis: plate-like linear density at the base(s).
	if ok, str := s.f[chexpert.Atelectasis].drawn(); ok {
		for _, side := range sidesOf(s.f[chexpert.Atelectasis].side) {
			sign := -1.0
			if side == left {
				sign = 1
			}
			v := a.domeBase[side] - a.domeH[side] - 0.08 - 0.03*rng.Float64()
			u0 := a.lungCx[side] - sign*0.07
			pts := [][2]float64{{u0, v}, {u0 + sign*0.15*sizeF, v + 0.02 + j(0.01)}}
			w := 0.014*sizeF + 0.005
			u0, v0, u1, v1 := bounds(pts, w+3*c.edge)
			c.paint(u0, v0, u1, v1, func(u, v float64) float64 {
				return c.cover(polyDist(u, v, pts)-w) * a.lung(c, side, u, v)
			}, blend(0.58, min(1, 0.95*str*strengthF)))
		}
	}
	// Lung lesion: a round nodule or a lobulated mass.
	if ok, str := s.f[chexpert.LungLesion].drawn(); ok {
		f := s.f[chexpert.LungLesion]
		cu, cv := a.zonePoint(f.side, f.zone, f.u, f.v)
		r := (0.04 + 0.01*float64(f.severity)) * sizeF
		if f.kind == 1 {
			r = (0.075 + 0.015*float64(f.severity)) * sizeF
		}
		alpha := min(1, 0.95*str*strengthF)
		c.ellipse(cu, cv, r, r*(0.9+0.2*rng.Float64()), 0, 0.66, alpha)
		if f.kind == 1 {
			c.ellipse(cu+r*0.6, cv-r*0.4, r*0.6, r*0.55, 0, 0.66, alpha)
		}
	}
	// Pleural thickening: a dense, lumpy band (plaques) lining the lateral
	// chest wall of the upper and middle lung, at least 3 px thick at 64 px.
	if ok, str := s.f[chexpert.PleuralOther].drawn(); ok {
		side := s.f[chexpert.PleuralOther].side
		thick := (0.05 + 0.01*float64(s.f[chexpert.PleuralOther].severity)) * sizeF
		phase := rng.Float64() * 2 * math.Pi
		c.paint(a.lungCx[side]-a.lungRx[side]-0.02, 0.08, a.lungCx[side]+a.lungRx[side]+0.02, 0.62, func(u, v float64) float64 {
			t := thick * (0.9 + 0.1*math.Sin(v*60+phase))
			inner := ellipseSD(u, v, a.lungCx[side], a.lungCy[side], a.lungRx[side]-t, a.lungRy[side]-t, 0)
			return clamp01(inner/c.edge+0.5) * a.lung(c, side, u, v) * clamp01((0.6-v)/0.05)
		}, blend(0.62, min(1, str*strengthF)))
	}
	// Pneumothorax: an apical-lateral lucency without markings, bounded by
	// the visceral pleural line of the collapsed lung.
	if ok, str := s.f[chexpert.Pneumothorax].drawn(); ok {
		f := s.f[chexpert.Pneumothorax]
		side := f.side
		if side == both {
			side = right
		}
		shrink := (0.3 + 0.1*float64(f.severity)) * sizeF
		h := a.hilum[side]
		ccx := a.lungCx[side] + (h[0]-a.lungCx[side])*shrink
		ccy := a.lungCy[side] + shrink*0.35
		crx, cry := a.lungRx[side]*(1-shrink), a.lungRy[side]*(1-shrink*0.8)
		alpha := min(1, str*strengthF)
		c.paint(a.lungCx[side]-a.lungRx[side], 0.05, a.lungCx[side]+a.lungRx[side], a.lungCy[side]+0.1, func(u, v float64) float64 {
			out := ellipseSD(u, v, ccx, ccy, crx, cry, 0)
			return clamp01(out/c.edge+0.5) * a.lung(c, side, u, v) * clamp01((a.lungCy[side]+0.08-v)/0.06)
		}, blend(0.035, alpha))
		c.paint(ccx-crx-0.02, 0.05, ccx+crx+0.02, a.lungCy[side], func(u, v float64) float64 {
			out := math.Abs(ellipseSD(u, v, ccx, ccy, crx, cry, 0))
			return c.cover(out-0.007) * a.lung(c, side, u, v)
		}, add(0.3*alpha))
	}
	// Rib fracture: a lateral rib broken by a lucent gap, its distal
	// fragment stepped off the cortex, with a bright callus (each wider than
	// two pixels at the model's 64 px input).
	if ok, str := s.f[chexpert.Fracture].drawn(); ok {
		side := s.f[chexpert.Fracture].side
		if side == both {
			side = left
		}
		rib := ribs[side][3+rng.IntN(3)]
		k := 6 + rng.IntN(2)
		p, q := rib[k], rib[k+1]
		du, dv := q[0]-p[0], q[1]-p[1]
		l := math.Hypot(du, dv)
		du, dv = du/l, dv/l
		nu, nv := -dv, du // normal to the rib
		if nv < 0 {
			nu, nv = -nu, -nv // pointing down
		}
		step := 0.022 * sizeF
		var distal [][2]float64
		for _, r := range rib[k:] {
			distal = append(distal, [2]float64{r[0] + nu*step, r[1] + nv*step})
		}
		c.lineAdd(distal, 0.0085, 0.12*str*strengthF, nil)
		c.lineAdd([][2]float64{{p[0] + nu*0.03, p[1] + nv*0.03}, {p[0] - nu*0.025, p[1] - nv*0.025}}, 0.009, -0.2*str, nil)
		// Fusiform callus around the break, bone-dense.
		cu, cv := p[0]+nu*step*0.5, p[1]+nv*step*0.5
		c.ellipse(cu, cv, 0.034*sizeF, 0.022*sizeF, math.Atan2(dv, du)*180/math.Pi, 0.62, min(1, 0.9*str*strengthF))
	}
	// Support devices: metal is bright whatever the difficulty.
	if ok, _ := s.f[chexpert.SupportDevices].drawn(); ok {
		c.drawMetal(func() {
			dv := s.f[chexpert.SupportDevices].devices
			if dv[devPacemaker] {
				gu, gv := 0.74+j(0.03), 0.17+j(0.02)
				c.paint(gu-0.06, gv-0.05, gu+0.06, gv+0.05, func(u, v float64) float64 {
					return c.cover(max(math.Abs(u-gu)-0.038, math.Abs(v-gv)-0.024) - 0.006)
				}, blend(dMetal, 1))
				c.line(bezier([2]float64{gu - 0.03, gv}, [2]float64{0.5, 0.2}, [2]float64{a.heartCx - 0.02, a.heartCy + 0.02}, 12), 0.0065, 0.9, 1)
				c.line(bezier([2]float64{gu - 0.03, gv + 0.01}, [2]float64{0.52, 0.28}, [2]float64{a.heartCx - 0.06, a.heartCy - 0.04}, 12), 0.0065, 0.9, 1)
			}
			if dv[devETTube] {
				c.line([][2]float64{{0.5 + j(0.005), 0}, {0.5, 0.27 + j(0.02)}}, 0.013, 0.9, 1)
			}
			if dv[devCentralLine] {
				c.line(bezier([2]float64{0.38, 0.02}, [2]float64{0.43, 0.2}, [2]float64{0.48, 0.37 + j(0.02)}, 10), 0.008, 0.92, 1)
			}
			if dv[devSternotomy] {
				for k := range 5 {
					v := 0.3 + 0.065*float64(k)
					c.paint(0.47, v-0.03, 0.53, v+0.03, func(u, vv float64) float64 {
						return c.cover(math.Abs(ellipseSD(u, vv, 0.5, v, 0.012, 0.018, 0)) - max(0.006, 0.6/float64(c.n)))
					}, blend(dMetal, 1))
				}
			}
		})
	}
}

// renderLateral draws a lateral view (anterior to the image left).
func renderLateral(n int, rng *rand.Rand, s *study, d float64) []float64 {
	j := func(x float64) float64 { return (rng.Float64()*2 - 1) * x }
	strengthF := 1.15 - 0.75*d
	sizeF := 1.1 - 0.5*d
	pos := 0.6 + 0.8*d
	c := newCanvas(n, j(3*pos), 1+j(0.04*pos), j(0.03*pos), j(0.03*pos))
	for i := range c.pix {
		c.pix[i] = dAir
	}
	c.ellipse(0.5, 0.58, 0.4+j(0.02), 0.6, 0, dSoft, 1)
	diaph := func(u float64) float64 { return 0.72 + 0.08*u + 0.04*(u-0.5)*(u-0.5) }
	lung := func(u, v float64) float64 {
		return c.cover(max(ellipseSD(u, v, 0.52, 0.46, 0.29, 0.36, 0), v-diaph(u)))
	}
	c.paint(0, 0.5, 1, 1.1, func(u, v float64) float64 {
		return c.cover(diaph(u)-v) * c.cover(ellipseSD(u, v, 0.5, 0.58, 0.4, 0.6, 0))
	}, blend(dAbdomen, 1))
	c.paint(0.1, 0.05, 0.9, 0.95, lung, blend(dLung+0.04, 1))
	// Spine (posterior, image right) and sternum (anterior).
	for k := range 14 {
		v := 0.06 + float64(k)*0.068
		c.paint(0.72, v-0.04, 0.86, v+0.04, func(u, vv float64) float64 {
			return c.cover(max(math.Abs(u-0.79)-0.045, math.Abs(vv-v)-0.026))
		}, blend(0.55, 1))
	}
	c.line([][2]float64{{0.17, 0.18}, {0.2, 0.62}}, 0.012, 0.55, 0.8)
	// Trachea.
	c.line([][2]float64{{0.44, 0}, {0.5, 0.36}}, 0.018, 0.22, 0.8)
	// Heart: anterior and inferior; cardiomegaly extends it posteriorly.
	hx, hy, hrx, hry := 0.37, 0.6, 0.15, 0.14
	if ok, str := s.f[chexpert.Cardiomegaly].drawn(); ok {
		f := 1 + str*(0.25+0.08*float64(s.f[chexpert.Cardiomegaly].severity))*sizeF
		hrx *= f
		hx += (f - 1) * 0.1
	}
	c.ellipse(hx, hy, hrx, hry, -25, dHeart-0.05, 1)
	if ok, str := s.f[chexpert.EnlargedCardiomediastinum].drawn(); ok { // fills the retrosternal clear space
		c.ellipse(0.33, 0.3, 0.09*sizeF+0.02, 0.1, 0, dMedi, 0.8*str*strengthF)
	}
	if ok, str := s.f[chexpert.PleuralEffusion].drawn(); ok { // posterior costophrenic sulcus
		hgt := (0.06 + 0.05*float64(s.f[chexpert.PleuralEffusion].severity)) * sizeF
		c.paint(0.3, 0.45, 0.85, 0.9, func(u, v float64) float64 {
			post := clamp01((u - 0.35) / 0.4)
			top := diaph(u) - hgt*(0.5+post*post)
			return c.cover(top-v) * lung(u, v)
		}, blend(dFluid, min(1, str*strengthF)))
	}
	zoneV := func(zone int) float64 { return 0.25 + 0.17*float64(zone) }
	if ok, str := s.f[chexpert.Consolidation].drawn(); ok {
		f := s.f[chexpert.Consolidation]
		cu, cv, r := 0.4+0.3*f.u, zoneV(f.zone), (0.07+0.02*float64(f.severity))*sizeF
		c.paint(cu-2*r, cv-2*r, cu+2*r, cv+2*r, func(u, v float64) float64 {
			return clamp01((gauss(u, v, cu, cv, r, r*0.8)-0.4)/0.3) * lung(u, v)
		}, blend(dDense, min(1, 0.85*str*strengthF)))
	}
	if ok, str := s.f[chexpert.LungOpacity].drawn(); ok {
		f := s.f[chexpert.LungOpacity]
		cu, cv := 0.35+0.35*f.u, zoneV(f.zone)
		c.paint(cu-0.15, cv-0.15, cu+0.15, cv+0.15, func(u, v float64) float64 {
			return gauss(u, v, cu, cv, 0.05*sizeF, 0.04*sizeF) * lung(u, v)
		}, add(0.18*str*strengthF))
	}
	if ok, str := s.f[chexpert.Edema].drawn(); ok {
		c.paint(0.2, 0.15, 0.8, 0.8, func(u, v float64) float64 {
			return gauss(u, v, 0.5, 0.45, 0.13, 0.14) * lung(u, v)
		}, add(0.2*str*strengthF))
	}
	if ok, str := s.f[chexpert.LungLesion].drawn(); ok {
		f := s.f[chexpert.LungLesion]
		r := (0.026 + 0.008*float64(f.severity)) * sizeF
		if f.kind == 1 {
			r = (0.06 + 0.015*float64(f.severity)) * sizeF
		}
		c.ellipse(0.35+0.35*f.v, zoneV(f.zone), r, r, 0, 0.64, min(1, 0.9*str*strengthF))
	}
	if ok, str := s.f[chexpert.Atelectasis].drawn(); ok {
		v := 0.66 + j(0.02)
		c.lineAdd([][2]float64{{0.4, v}, {0.62, v + 0.03}}, 0.008*sizeF+0.002, 0.28*str*strengthF, lung)
	}
	if ok, str := s.f[chexpert.Pneumothorax].drawn(); ok { // anterior-superior lucency
		c.paint(0.2, 0.08, 0.6, 0.4, func(u, v float64) float64 {
			return gauss(u, v, 0.38, 0.2, 0.08*sizeF+0.02, 0.06*sizeF+0.02) * lung(u, v)
		}, blend(0.04, min(1, 0.9*str*strengthF)))
	}
	if ok, str := s.f[chexpert.PleuralOther].drawn(); ok {
		c.paint(0.55, 0.1, 0.85, 0.7, func(u, v float64) float64 {
			return clamp01(-ellipseSD(u, v, 0.52, 0.46, 0.29, 0.36, 0)/c.edge+0.5) * clamp01(1-math.Abs(ellipseSD(u, v, 0.52, 0.46, 0.29, 0.36, 0))/0.02) * lung(u, v) * clamp01((u-0.55)/0.05)
		}, blend(0.48, min(1, str*strengthF)))
	}
	if ok, _ := s.f[chexpert.SupportDevices].drawn(); ok {
		c.drawMetal(func() {
			dv := s.f[chexpert.SupportDevices].devices
			if dv[devPacemaker] {
				c.ellipse(0.22, 0.18, 0.045, 0.02, 10, dMetal, 1)
				c.line(bezier([2]float64{0.24, 0.19}, [2]float64{0.42, 0.3}, [2]float64{0.35, 0.6}, 10), 0.0065, 0.9, 1)
			}
			if dv[devETTube] {
				c.line([][2]float64{{0.44, 0}, {0.49, 0.3}}, 0.013, 0.9, 1)
			}
			if dv[devCentralLine] {
				c.line(bezier([2]float64{0.4, 0.02}, [2]float64{0.45, 0.2}, [2]float64{0.45, 0.38}, 8), 0.008, 0.9, 1)
			}
			if dv[devSternotomy] {
				for k := range 5 {
					c.ellipse(0.19, 0.25+0.07*float64(k), 0.01, 0.015, 0, dMetal, 1)
				}
			}
		})
	}
	return finish(c, rng, d)
}

// finish applies exposure, contrast, a slight blur and noise.
func finish(c *canvas, rng *rand.Rand, d float64) []float64 {
	j := func(x float64) float64 { return (rng.Float64()*2 - 1) * x }
	n := c.n
	gamma := math.Exp(j(0.25))
	contrast := 1 + j(0.15)
	bright := j(0.05)
	noise := 0.012 + 0.03*d
	grad := j(0.06)
	// 3-tap blur (unsharp radiograph look), separable.
	tmp := make([]float64, len(c.pix))
	for y := range n {
		for x := range n {
			l, r := max(x-1, 0), min(x+1, n-1)
			tmp[y*n+x] = 0.25*c.pix[y*n+l] + 0.5*c.pix[y*n+x] + 0.25*c.pix[y*n+r]
		}
	}
	// Gamma through a lookup table (math.Pow per pixel is slow).
	var lut [1025]float64
	for i := range lut {
		lut[i] = math.Pow(float64(i)/1024, gamma)
	}
	out := make([]float64, len(c.pix))
	for y := range n {
		up, dn := max(y-1, 0), min(y+1, n-1)
		for x := range n {
			v := 0.25*tmp[up*n+x] + 0.5*tmp[y*n+x] + 0.25*tmp[dn*n+x]
			f := clamp01(v) * 1024
			k := min(int(f), 1023)
			v = lut[k] + (lut[k+1]-lut[k])*(f-float64(k))
			v = (v-0.4)*contrast + 0.4 + bright + grad*(float64(x)/float64(n)-0.5)
			if c.metal != nil { // metal stays white whatever the exposure
				v += (0.97 - v) * clamp01(c.metal[y*n+x])
			}
			v += rng.NormFloat64() * noise
			out[y*n+x] = clamp01(v)
		}
	}
	return out
}

/* The live breath-matching view (see view.h): the window, renderer and fonts, events, and the
 * order in which the parts of the screen (view_centre.c, view_strip.c, view_status.c,
 * view_overlay.c) are drawn each frame.
 *
 * Everything is laid out from the renderer's output size in pixels each frame, so a resize, a
 * fullscreen toggle or a HiDPI display needs no special case. */
#include "view_impl.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void close_fonts(struct att_view *v)
{
	for (int i = 0; i < F_COUNT; i++) {
		if (v->font[i])
			TTF_CloseFont(v->font[i]);
		v->font[i] = NULL;
	}
	att_draw_forget_text(v);
}

/* Opens the fonts at sizes proportional to the output height. The cue is 8 % of the height: on a
 * 1080-pixel 24" screen that is ~19 mm capitals, readable from ~2 m (10 mm per metre). */
int att_view_open_fonts(struct att_view *v, int w, int h)
{
	double base = fmin(h, w * 0.625);
	int px[F_COUNT] = {
	        (int)fmax(12.0, base * 0.021),
	        (int)fmax(14.0, base * 0.030),
	        (int)fmax(20.0, base * 0.060),
	        (int)fmax(24.0, base * 0.080),
	};

	close_fonts(v);
	for (int i = 0; i < F_COUNT; i++) {
		v->font[i] = TTF_OpenFont(v->font_path, px[i]);
		if (!v->font[i])
			return ATT_ERR_IO;
		v->font_px[i] = px[i];
	}
	v->out_w = w;
	v->out_h = h;
	return ATT_OK;
}

int att_view_new(const struct att_view_cfg *cfg, struct att_view **out, char *why, size_t why_len)
{
	struct att_view *v;
	Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
	int w, h;
	FILE *f;

	*out = NULL;
	v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(why, why_len, "out of memory opening the view");
		return ATT_ERR_NOMEM;
	}
	v->font_path = cfg->font_path ? cfg->font_path : ATT_VIEW_FONT;
	f = fopen(v->font_path, "rb");
	if (!f) {
		snprintf(why, why_len, "font %s is missing; install it with: %sapt-get install %s",
		         v->font_path, geteuid() ? "sudo " : "", "fonts-dejavu-core");
		free(v);
		return ATT_ERR_IO;
	}
	fclose(f);
	v->name_a = cfg->name_a ? cfg->name_a : "A";
	v->name_b = cfg->name_b ? cfg->name_b : "B";
	v->show_strip = cfg->show_strip;
	v->fullscreen = cfg->fullscreen;
	if (v->fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	/* With the software renderer SDL would still present through an OpenGL texture when GL is
	 * available (under Xvfb that is llvmpipe: +70 MB of LLVM and a JIT per frame); MIT-SHM is
	 * the cheap path there. */
	if (SDL_GetHint(SDL_HINT_RENDER_DRIVER) &&
	    !strcmp(SDL_GetHint(SDL_HINT_RENDER_DRIVER), "software"))
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	v->win = SDL_CreateWindow("attune - breathing together", SDL_WINDOWPOS_CENTERED,
	                          SDL_WINDOWPOS_CENTERED, cfg->width ? cfg->width : 1280,
	                          cfg->height ? cfg->height : 800, flags);
	if (!v->win) {
		snprintf(why, why_len,
		         "cannot open a window (%s); use --headless or run under Xvfb",
		         SDL_GetError());
		att_view_free(v);
		return ATT_ERR_UNSUPPORTED;
	}
	v->ren = SDL_CreateRenderer(v->win, -1, 0);
	if (!v->ren) {
		snprintf(why, why_len,
		         "cannot create a renderer (%s); try SDL_RENDER_DRIVER=software",
		         SDL_GetError());
		att_view_free(v);
		return ATT_ERR_UNSUPPORTED;
	}
	SDL_SetRenderDrawBlendMode(v->ren, SDL_BLENDMODE_BLEND);
	SDL_GetRendererOutputSize(v->ren, &w, &h);
	if (att_view_open_fonts(v, w, h) != ATT_OK) {
		snprintf(why, why_len, "cannot load font %s (%s); reinstall fonts-dejavu-core",
		         v->font_path, TTF_GetError());
		att_view_free(v);
		return ATT_ERR_IO;
	}
	*out = v;
	return ATT_OK;
}

void att_view_free(struct att_view *v)
{
	if (!v)
		return;
	close_fonts(v);
	if (v->glow)
		SDL_DestroyTexture(v->glow);
	free(v->glow_shape);
	if (v->ren)
		SDL_DestroyRenderer(v->ren);
	if (v->win)
		SDL_DestroyWindow(v->win);
	free(v);
}

int att_view_help_shown(const struct att_view *v)
{
	return v->show_help;
}

const char *att_view_renderer_name(const struct att_view *v)
{
	SDL_RendererInfo info;
	if (SDL_GetRendererInfo(v->ren, &info) != 0 || !info.name)
		return "unknown";
	return info.name;
}

enum att_view_action att_view_event(struct att_view *v, const SDL_Event *e)
{
	if (e->type == SDL_QUIT)
		return ATT_VIEW_QUIT;
	if (e->type == SDL_WINDOWEVENT)
		return ATT_VIEW_HANDLED;
	if (e->type != SDL_KEYDOWN)
		return ATT_VIEW_NONE;
	switch (e->key.keysym.sym) {
	case SDLK_q:
	case SDLK_ESCAPE:
		return ATT_VIEW_QUIT;
	case SDLK_SPACE:
		return ATT_VIEW_MARKER;
	case SDLK_p:
		return ATT_VIEW_PACER_TOGGLE;
	case SDLK_UP:
		return ATT_VIEW_PACER_FASTER;
	case SDLK_DOWN:
		return ATT_VIEW_PACER_SLOWER;
	case SDLK_e:
		return ATT_VIEW_EXHALE_TOGGLE;
	case SDLK_r:
		return ATT_VIEW_RECORD;
	case SDLK_m:
		return ATT_VIEW_MUTE;
	case SDLK_g:
		return ATT_VIEW_GUIDE_PAUSE;
	case SDLK_n:
	case SDLK_PAGEDOWN:
		return ATT_VIEW_GUIDE_SKIP;
	case SDLK_b:
	case SDLK_PAGEUP:
		return ATT_VIEW_GUIDE_BACK;
	case SDLK_t:
		v->show_strip = !v->show_strip;
		return ATT_VIEW_HANDLED;
	case SDLK_f:
		v->fullscreen = !v->fullscreen;
		SDL_SetWindowFullscreen(v->win, v->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
		return ATT_VIEW_HANDLED;
	case SDLK_h:
	case SDLK_QUESTION:
		v->show_help = !v->show_help;
		return ATT_VIEW_HANDLED;
	case SDLK_SLASH:
		if (e->key.keysym.mod & KMOD_SHIFT) {
			v->show_help = !v->show_help;
			return ATT_VIEW_HANDLED;
		}
		return ATT_VIEW_NONE;
	default:
		return ATT_VIEW_NONE;
	}
}

void att_view_render(struct att_view *v, const struct att_view_model *m)
{
	int w, h, top_h, strip_h;

	v->frame++;
	SDL_GetRendererOutputSize(v->ren, &w, &h);
	/* on failure the old sizes stay closed: text just disappears */
	if (w != v->out_w || h != v->out_h)
		att_view_open_fonts(v, w, h);
	if (!v->font[0])
		return;
	SDL_SetRenderDrawColor(v->ren, C_BG.r, C_BG.g, C_BG.b, 0xff);
	SDL_RenderClear(v->ren);
	top_h = (int)(att_draw_line_h(v, F_SMALL) * 1.6);
	strip_h = v->show_strip ? (int)(h * 0.28) : 0;
	att_view_draw_centre(v, m, w, top_h, h - top_h - strip_h);
	att_view_draw_notice(v, m, w, top_h, h - top_h - strip_h);
	if (v->show_strip)
		att_view_draw_strip(v, m, w, h - strip_h, strip_h);
	att_view_draw_status(v, m, w, top_h);
	if (v->show_help)
		att_view_draw_help(v, m, w, h);
	att_draw_flush(v);
}

void att_view_present(struct att_view *v)
{
	SDL_RenderPresent(v->ren);
}

/* libpng reports errors by longjmp; keeping it in its own function leaves no local of the
 * caller live across the jump. */
static int write_png(FILE *f, const unsigned char *px, int w, int h)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;

	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return ATT_ERR_NOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return ATT_ERR_IO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB,
	             PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, px + (size_t)y * (size_t)w * 3);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return ATT_OK;
}

int att_view_save_png(struct att_view *v, const char *path, char *why, size_t why_len)
{
	int w, h, rc;
	unsigned char *px;
	FILE *f;

	SDL_GetRendererOutputSize(v->ren, &w, &h);
	px = malloc((size_t)w * (size_t)h * 3);
	if (!px) {
		snprintf(why, why_len, "out of memory saving %s", path);
		return ATT_ERR_NOMEM;
	}
	if (SDL_RenderReadPixels(v->ren, NULL, SDL_PIXELFORMAT_RGB24, px, w * 3) != 0) {
		snprintf(why, why_len, "cannot read the window's pixels (%s)", SDL_GetError());
		free(px);
		return ATT_ERR_IO;
	}
	f = fopen(path, "wb");
	if (!f) {
		snprintf(why, why_len,
		         "cannot write %s; check the directory exists and is writable", path);
		free(px);
		return ATT_ERR_IO;
	}
	rc = write_png(f, px, w, h);
	if (fclose(f) != 0 && rc == ATT_OK)
		rc = ATT_ERR_IO;
	if (rc != ATT_OK) {
		snprintf(why, why_len, "cannot write %s (disk full?)", path);
		remove(path); /* never leave a partial file looking complete */
	}
	free(px);
	return rc;
}
